"""JumpReLU SAE (Rajamanoharan et al. 2024), as SAELens trains it: a learnable threshold per
latent, an L0 sparsity term, and straight-through estimators (a rectangle kernel of width
`jumprelu_bandwidth`) that carry gradients to the thresholds through the step functions."""

from __future__ import annotations

import torch
from torch import nn

from saeinit.models.base import SAE, cfg_number, firing_threshold
from saeinit.models.options import JumpReLUOptions


def _rectangle(z: torch.Tensor) -> torch.Tensor:
    return ((z > -0.5) & (z < 0.5)).to(z)


class _JumpReLU(torch.autograd.Function):
    """relu(x) where x > threshold, else 0. Backward: the input's gradient where the latent
    fires; the threshold's, -(threshold / bandwidth) K((x - threshold) / bandwidth) per
    sample (K the rectangle kernel), summed over the batch."""

    @staticmethod
    def forward(ctx, x, threshold, bandwidth: float):
        ctx.save_for_backward(x, threshold)
        ctx.bandwidth = bandwidth
        return torch.relu(x) * (x > threshold).to(x)

    @staticmethod
    def backward(ctx, grad_output):
        x, threshold = ctx.saved_tensors
        bandwidth = ctx.bandwidth
        kernel = _rectangle((x - threshold) / bandwidth) / bandwidth
        threshold_grad = -(threshold * kernel * grad_output).sum(dim=0)
        x_grad = ((x > threshold) & (x > 0)).to(x) * grad_output
        return x_grad, threshold_grad, None


class _Step(torch.autograd.Function):
    """1 where x > threshold, else 0. Backward: no gradient to x (DeepMind's estimator, SAELens'
    default); the threshold's, -(1 / bandwidth) K((x - threshold) / bandwidth), summed."""

    @staticmethod
    def forward(ctx, x, threshold, bandwidth: float):
        ctx.save_for_backward(x, threshold)
        ctx.bandwidth = bandwidth
        return (x > threshold).to(x)

    @staticmethod
    def backward(ctx, grad_output):
        x, threshold = ctx.saved_tensors
        bandwidth = ctx.bandwidth
        kernel = _rectangle((x - threshold) / bandwidth) / bandwidth
        return None, -(kernel * grad_output).sum(dim=0), None


class JumpReLUSAE(SAE):
    """c = relu(p) where p > threshold, else 0, with p = x W_enc + b_enc and one learnable
    threshold per latent; loss = MSE + jumprelu_l0 * mean_batch(L0) / d. The thresholds are
    trained directly, not through their logarithm, as SAELens does (Adam moves a parameter by
    about the learning rate per step, so a log-threshold would barely leave a small start),
    and kept >= 0 by projection before every step (with the decoder's renormalisation).

    The trainer keeps every atom unit-norm. The L0 term does not depend on atom norms (an
    atom's scale can move into its latent: encoder column, bias and threshold), so the
    constraint costs nothing the loss could use; SAELens leaves the norms free instead.
    Saved, the SAE is SAELens' jumprelu: `threshold` [d_sae] beside the four weights.
    Inference needs no mode: the same activation runs in training and evaluation."""

    def __init__(
        self,
        d_in,
        d_sae,
        l0_coefficient: float = JumpReLUOptions.jumprelu_l0,
        bandwidth: float = JumpReLUOptions.jumprelu_bandwidth,
        init_threshold: float = JumpReLUOptions.jumprelu_init_threshold,
        b_dec=False,
        apply_b_dec_to_input=True,
    ):
        super().__init__(d_in, d_sae, b_dec, apply_b_dec_to_input)
        self.l0_coefficient, self.bandwidth = l0_coefficient, bandwidth
        self.init_threshold = init_threshold
        self.start_l0: float | None = None
        self.threshold = nn.Parameter(torch.full((d_sae,), float(init_threshold)))

    @classmethod
    def from_config(cls, config, d_in: int, d_sae: int) -> JumpReLUSAE:
        model = super().from_config(config, d_in, d_sae)
        with torch.no_grad():  # a new SAE starts at the configured threshold; a resumed one
            model.threshold.fill_(config.jumprelu_init_threshold)  # keeps its own
        return model

    def configure(self, config) -> None:
        self.l0_coefficient = config.jumprelu_l0
        self.bandwidth = config.jumprelu_bandwidth
        self.init_threshold = config.jumprelu_init_threshold
        self.start_l0 = config.jumprelu_start_l0

    @property
    def calibrates(self) -> bool:
        """Only with --jumprelu-start-l0: otherwise the thresholds start where SAELens' do."""
        return self.start_l0 is not None

    @torch.no_grad()
    def calibrate(self, sample: torch.Tensor) -> None:
        """Every threshold at the one value at which `sample` fires --jumprelu-start-l0
        latents per sample, then the encoder (and the thresholds with it) scaled by the
        least-squares gain of the reconstruction that fires: an init's read-out is rarely at
        that scale, training moves it there within a few hundred steps, and thresholds, which
        move at the learning rate's pace, would be left too high or too low for it."""
        pre_acts = self.pre_activations(sample)
        self.threshold.fill_(firing_threshold(pre_acts, self.start_l0))
        recon = self.activate(pre_acts) @ self.W_dec
        target = sample - self.b_dec if self.b_dec is not None else sample
        energy, along = recon.pow(2).sum().item(), (recon * target).sum().item()
        gain = along / energy if energy > 0 and along > 0 else 1.0  # else no scale helps
        self.W_enc.mul_(gain)
        self.b_enc.mul_(gain)
        self.threshold.mul_(gain)

    def activate(self, pre_acts: torch.Tensor) -> torch.Tensor:
        return _JumpReLU.apply(pre_acts, self.threshold, self.bandwidth)

    def sparsity_term(self, acts, pre_acts) -> tuple[torch.Tensor, float]:
        l0 = _Step.apply(pre_acts, self.threshold, self.bandwidth).sum(dim=1).mean()
        return l0, self.l0_coefficient / self.d_in

    @torch.no_grad()
    def normalize_decoder(self) -> None:
        """Unit-norm atoms and thresholds >= 0 (SAELens projects them before each step: below
        zero a threshold would be no threshold, as the activation is a relu)."""
        super().normalize_decoder()
        self.threshold.clamp_(min=0.0)

    def latent_parameters(self) -> list[tuple[nn.Parameter, int]]:
        return [*super().latent_parameters(), (self.threshold, 0)]

    @torch.no_grad()
    def reset_latent_state(self, latents: torch.Tensor) -> None:
        """A re-seeded latent starts from --jumprelu-init-threshold, as a new one: the
        threshold it had learnt belonged to the atom it no longer has."""
        self.threshold[latents] = self.init_threshold

    @torch.no_grad()
    def fold_decoder_norm(self) -> None:
        """As SAE.fold_decoder_norm, the thresholds scaled with their latents' pre-activations."""
        norms = self.W_dec.norm(dim=1).clamp_min(1e-12)
        super().fold_decoder_norm()
        self.threshold.mul_(norms)

    def saelens_settings(self) -> dict:
        # SAELens' training keys (its inference config has none of its own); ours, same meaning
        return {
            "l0_coefficient": self.l0_coefficient,
            "jumprelu_bandwidth": self.bandwidth,
            "jumprelu_init_threshold": self.init_threshold,
        }

    def saelens_tensors(self) -> dict[str, torch.Tensor]:
        return {"threshold": self.threshold}

    def load_saelens_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.threshold.copy_(tensors["threshold"])

    @classmethod
    def from_saelens(cls, cfg, d_in, d_sae, b_dec, apply) -> JumpReLUSAE:
        # SAELens' inference cfg.json holds none of these keys; our defaults apply then
        values = [
            cfg_number(cfg, "l0_coefficient", JumpReLUOptions.jumprelu_l0, low=0.0),
            cfg_number(
                cfg,
                "jumprelu_bandwidth",
                JumpReLUOptions.jumprelu_bandwidth,
                low=0.0,
                low_open=True,
            ),
            cfg_number(
                cfg, "jumprelu_init_threshold", JumpReLUOptions.jumprelu_init_threshold, low=0.0
            ),
        ]
        return cls(d_in, d_sae, *values, b_dec, apply)
