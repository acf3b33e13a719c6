"""The initial weights handed to other libraries, in SAELens' names, shapes and convention.

`InitialWeights` describes the SAE act((x - b_dec) W_enc + b_enc) W_dec + b_dec: b_dec is
subtracted from the input before encoding (SAELens' default, and what sparsify and
dictionary_learning always do), so a library whose encoder does not subtract it takes the
encoder bias `encoder_bias(weights, subtracts_b_dec=False)` instead.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from saeinit.config import ConfigError, require_positive
from saeinit.models import SAE
from saeinit.models.base import firing_threshold


class InitialWeights(NamedTuple):
    W_enc: torch.Tensor
    """Encoder [d_in, d_sae]."""
    b_enc: torch.Tensor
    """Encoder bias [d_sae]."""
    W_dec: torch.Tensor
    """Decoder [d_sae, d_in], one unit-norm atom per row (a saved SAE may fold an input
    scaling into them)."""
    b_dec: torch.Tensor
    """Decoder bias [d_in], subtracted from the input before encoding (zeros without one)."""

    @property
    def d_in(self) -> int:
        return self.W_dec.shape[1]

    @property
    def d_sae(self) -> int:
        return self.W_dec.shape[0]


def sae_weights(model: SAE, scaling_factor: float | None = None) -> InitialWeights:
    """The weights of `model` as `InitialWeights`, on the CPU.

    A model built on inputs scaled by `scaling_factor` (SAELens' expected_average_only_in) is
    turned into one taking unscaled inputs by dividing both biases by the factor, the atoms
    keeping unit norm: exact for activations that commute with a common positive scale (ReLU,
    TopK), which are the architectures other libraries are filled with."""
    W_enc, b_enc, W_dec = (
        p.detach().float().cpu() for p in (model.W_enc, model.b_enc, model.W_dec)
    )
    b_dec = torch.zeros(model.d_in) if model.b_dec is None else model.b_dec.detach().float().cpu()
    if model.b_dec is not None and not model.apply_b_dec_to_input:
        b_enc = b_enc + b_dec @ W_enc  # the same pre-activations with b_dec subtracted first
    factor = scaling_factor or 1.0
    return InitialWeights(W_enc.clone(), b_enc / factor, W_dec.clone(), b_dec / factor)


def pre_activations(weights: InitialWeights, sample: torch.Tensor) -> torch.Tensor:
    """(sample - b_dec) W_enc + b_enc [n, d_sae]: what the SAE's activation reads."""
    return (sample.float() - weights.b_dec) @ weights.W_enc + weights.b_enc


def ordered_by_use(
    weights: InitialWeights, sample: torch.Tensor, per_sample: float
) -> InitialWeights:
    """The same SAE with its latents reordered by how many rows of `sample` [n, d_in] fire
    them, most used first (ties kept in order), at the one threshold that fires `per_sample`
    latents per row on average (a BatchTopK SAE's k). A Matryoshka SAE reconstructs from each
    prefix of its latents alone, so its first groups should start with the latents the data
    uses most; an init whose atoms come in another order (mod's) then suits it too."""
    check_weights(weights)
    check_rows(weights, sample)
    require_positive("per_sample", per_sample)
    pre_acts = pre_activations(weights, sample)
    threshold = firing_threshold(pre_acts, per_sample)
    fired = (pre_acts >= threshold) & (pre_acts > 0)
    order = torch.argsort(fired.sum(dim=0), descending=True, stable=True)
    return InitialWeights(
        weights.W_enc[:, order], weights.b_enc[order], weights.W_dec[order], weights.b_dec
    )


def jumprelu_start(
    weights: InitialWeights, sample: torch.Tensor, start_l0: float
) -> tuple[InitialWeights, torch.Tensor]:
    """Weights for a JumpReLU SAE and its thresholds [d_sae]: every threshold at the one value
    at which `sample` [n, d_in] fires `start_l0` latents per row, and the encoder scaled by the
    least-squares gain of the reconstruction that fires (`saeinit train
    --jumprelu-start-l0`; `JumpReLUSAE.calibrate` says why). SAELens' own start, a threshold
    of 0.01 whatever the encoder's scale, fires most latents of an informed start."""
    from saeinit.models.jumprelu_sae import JumpReLUSAE

    check_weights(weights)
    check_rows(weights, sample)
    require_positive("start_l0", start_l0)
    model = JumpReLUSAE(weights.d_in, weights.d_sae, b_dec=True)
    with torch.no_grad():
        for name, value in weights._asdict().items():
            getattr(model, name).copy_(value)
    model.start_l0 = start_l0
    model.calibrate(sample.float())
    return sae_weights(model), model.threshold.detach().clone()


def check_rows(weights: InitialWeights, sample: torch.Tensor) -> None:
    """Refuse a sample that is not rows of the weights' d_in (ConfigError naming it)."""
    if sample.ndim != 2 or sample.shape[1] != weights.d_in:
        raise ConfigError(
            "sample", f"has shape {tuple(sample.shape)}; pass rows [n, {weights.d_in}] (d_in)"
        )


def encoder_bias(weights: InitialWeights, subtracts_b_dec: bool) -> torch.Tensor:
    """The encoder bias of a model that does (or does not) subtract b_dec from its input."""
    return weights.b_enc if subtracts_b_dec else weights.b_enc - weights.b_dec @ weights.W_enc


def check_weights(weights: InitialWeights) -> None:
    """Refuse anything but `InitialWeights` of finite tensors (ConfigError naming `weights`):
    a NaN or inf copied into a model would only show as a failed training."""
    if not isinstance(weights, InitialWeights):
        raise ConfigError(
            "weights",
            f"expected InitialWeights (as initial_weights returns), got {type(weights).__name__}",
        )
    for name, tensor in weights._asdict().items():
        if not isinstance(tensor, torch.Tensor) or not torch.isfinite(tensor).all():
            raise ConfigError("weights", f"{name} is not a tensor of finite numbers (NaN or inf)")


def check_width(weights: InitialWeights, d_in: int, d_sae: int, argument: str) -> None:
    """Refuse a model of another shape than the weights (ConfigError naming `argument`)."""
    if (d_in, d_sae) != (weights.d_in, weights.d_sae):
        raise ConfigError(
            argument,
            f"has d_in {d_in} and d_sae {d_sae}, the weights have d_in {weights.d_in} and "
            f"d_sae {weights.d_sae}; build it with those sizes, or the weights with its",
        )


@torch.no_grad()
def assign(target: torch.Tensor, value: torch.Tensor) -> None:
    """Copy `value` into a parameter in place, keeping the parameter's device and dtype."""
    target.copy_(value.to(device=target.device, dtype=target.dtype))
