"""What every SAE architecture shares: weights in SAELens' layout, a unit-norm decoder, and
the ways its encoder starts (reset, tied, set) and its weights are refolded.

An architecture is a subclass in a module of its own that defines its activation and its
sparsity term; `models.registry` lists it with its name, its SAELens name and its settings
(`models.options`).
Tensors of its own beyond the four every SAE has (JumpReLU's threshold) are saved and loaded
through `saelens_tensors` and `load_saelens_tensors`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import torch
from torch import nn

from saeinit.config import ConfigError
from saeinit.models.registry import Architecture, architecture_of

if TYPE_CHECKING:
    from saeinit.models.config import SAEConfig


def cfg_number(
    cfg: dict,
    key: str,
    default: float | None = None,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    integer: bool = False,
) -> float | int:
    """A number an architecture reads from a saved cfg.json: its `default` when the key is
    absent or null (refused when there is no default), else a finite number (an integer when
    `integer`; a bool is neither) in [low, high] (or (low, high] when `low_open`), or a
    ConfigError naming the key."""
    value = cfg.get(key)
    if value is None:
        if default is None:
            raise ConfigError("sae", f"the cfg.json lacks {key}")
        value = default
    kind = int if integer else int | float
    number = not isinstance(value, bool) and isinstance(value, kind) and math.isfinite(value)
    if not number or not (value > low if low_open else value >= low) or value > high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        what = "an integer" if integer else "a number"
        raise ConfigError("sae", f"{key} in the cfg.json must be {what} in {interval}: {value!r}")
    return value if integer else float(value)


def batch_kept(per_sample: float, rows: int, entries: int) -> int:
    """How many activations a batch of `rows` samples keeps at `per_sample` latents per
    sample: per_sample x rows, at least one, at most all `entries`."""
    return min(max(round(per_sample * rows), 1), entries)


def firing_threshold(pre_acts: torch.Tensor, per_sample: float) -> float:
    """The threshold at which a batch of pre-activations [rows, latents] fires `per_sample`
    latents per sample on average: the smallest of its batch_kept largest positive entries."""
    acts = torch.relu(pre_acts).flatten()
    return acts.topk(batch_kept(per_sample, pre_acts.shape[0], acts.numel())).values.min().item()


class ForwardOutput(NamedTuple):
    x_hat: torch.Tensor
    acts: torch.Tensor
    loss: torch.Tensor
    mse: torch.Tensor
    sparsity: torch.Tensor | None
    """The sparsity term the loss adds before its coefficient (None: the architecture has
    none, its sparsity comes from the activation)."""
    pre_acts: torch.Tensor | None = None
    """x W_enc + b_enc (after subtracting b_dec when applied): what the AuxK loss ranks."""


class SAE(nn.Module):
    """x_hat = act((x - b_dec) W_enc + b_enc) W_dec + b_dec, each row of W_dec a unit-norm
    atom. Without a decoder bias (the reference SAE) both b_dec terms are absent; with one,
    `apply_b_dec_to_input` says whether it is subtracted from the input (SAELens' default)."""

    @property
    def architecture(self) -> Architecture:
        """This SAE's registry entry: its --architecture name and its SAELens name."""
        return architecture_of(type(self))

    def __init__(self, d_in: int, d_sae: int, b_dec: bool = False, apply_b_dec_to_input=True):
        super().__init__()
        self.d_in, self.d_sae = d_in, d_sae
        self.apply_b_dec_to_input = apply_b_dec_to_input
        self.W_enc = nn.Parameter(torch.empty(d_in, d_sae))
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.W_dec = nn.Parameter(torch.empty(d_sae, d_in))
        self.b_dec: nn.Parameter | None
        self.register_parameter("b_dec", nn.Parameter(torch.zeros(d_in)) if b_dec else None)

    # ---------------------------------------------------------------- what an architecture defines

    @classmethod
    def check(cls, config: SAEConfig) -> None:
        """Refuse settings that contradict each other for this architecture."""

    def configure(self, config: SAEConfig) -> None:
        """Take this architecture's own settings from `config` (on build and on resume)."""

    calibrates = False
    """Whether `calibrate` sets anything (the init then draws a batch for it)."""

    def calibrate(self, sample: torch.Tensor) -> None:
        """Set from a batch of data what the architecture would otherwise learn from data alone
        in its first steps (BatchTopK's inference threshold), once the init has set the
        weights."""

    def activate(self, pre_acts: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def sparsity_loss(self, acts: torch.Tensor) -> tuple[torch.Tensor, float] | None:
        """The sparsity term and its coefficient, or None when the loss is the MSE alone."""
        return None

    def sparsity_term(
        self, acts: torch.Tensor, pre_acts: torch.Tensor
    ) -> tuple[torch.Tensor, float] | None:
        """What the forward pass adds to the MSE: `sparsity_loss(acts)`, unless the
        architecture's term needs the pre-activations too (JumpReLU's L0 estimator)."""
        return self.sparsity_loss(acts)

    def latent_parameters(self) -> list[tuple[nn.Parameter, int]]:
        """Every parameter holding one entry per latent, with the dimension that indexes the
        latents: what re-seeding a latent rewrites and whose optimiser state it clears."""
        return [(self.W_enc, 1), (self.b_enc, 0), (self.W_dec, 0)]

    def reset_latent_state(self, latents: torch.Tensor) -> None:
        """Restart what this architecture keeps per latent beyond its encoder and atom (e.g.
        JumpReLU's threshold) for re-seeded `latents`; nothing by default."""

    def saelens_settings(self) -> dict:
        """This architecture's own keys of SAELens' cfg.json."""
        return {}

    @classmethod
    def from_saelens(cls, cfg: dict, d_in: int, d_sae: int, b_dec: bool, apply: bool) -> SAE:
        """An SAE of this architecture shaped by a saved cfg.json (weights not loaded)."""
        raise NotImplementedError

    def saelens_tensors(self) -> dict[str, torch.Tensor]:
        """This architecture's own tensors of sae_weights.safetensors, beyond W_enc, b_enc,
        W_dec and b_dec, by SAELens' names, in the form SAELens saves them (the loader expects
        the same names and shapes in a file it reads). Folding an input scaling into the SAE
        (`fold_scaling`) must update them when it changes what they mean."""
        return {}

    def load_saelens_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Take back what `saelens_tensors` lists, read from a file (names, shapes and
        finiteness already checked); ConfigError("sae", ...) for values it cannot hold."""

    # ---------------------------------------------------------------- shared

    @classmethod
    def from_config(cls, config: SAEConfig, d_in: int, d_sae: int) -> SAE:
        model = cls(
            d_in,
            d_sae,
            b_dec=config.b_dec != "none",
            apply_b_dec_to_input=config.apply_b_dec_to_input,
        )
        model.configure(config)
        return model

    def pre_activations(self, x: torch.Tensor) -> torch.Tensor:
        if self.b_dec is not None and self.apply_b_dec_to_input:
            x = x - self.b_dec
        return x @ self.W_enc + self.b_enc

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.activate(self.pre_activations(x))

    def decode(self, acts: torch.Tensor) -> torch.Tensor:
        x_hat = acts @ self.W_dec
        return x_hat if self.b_dec is None else x_hat + self.b_dec

    def forward(self, x: torch.Tensor, sparsity_scale: float = 1.0) -> ForwardOutput:
        """The reconstruction and the loss, MSE + sparsity_scale x coefficient x term
        (`sparsity_scale` below 1 while --l1-warmup-steps ramps the coefficient up)."""
        pre_acts = self.pre_activations(x)
        acts = self.activate(pre_acts)
        x_hat = self.decode(acts)
        mse = (x_hat - x).pow(2).mean()
        sparsity = self.sparsity_term(acts, pre_acts)
        if sparsity is None:
            return ForwardOutput(x_hat, acts, mse, mse, None, pre_acts)
        term, coefficient = sparsity
        loss = mse + coefficient * sparsity_scale * term
        return ForwardOutput(x_hat, acts, loss, mse, term, pre_acts)

    @torch.no_grad()
    def normalize_decoder(self) -> None:
        self.W_dec /= self.W_dec.norm(dim=1, keepdim=True).clamp_min(1e-12)

    @torch.no_grad()
    def reset_encoder(self, generator: torch.Generator) -> None:
        """nn.Linear's default init, as in the reference: U(-1/sqrt(d), 1/sqrt(d))."""
        bound = self.d_in**-0.5
        for param in (self.W_enc, self.b_enc):
            param.copy_(torch.rand(param.shape, generator=generator) * 2 * bound - bound)

    @torch.no_grad()
    def set_decoder(self, W_dec: torch.Tensor) -> None:
        """Load an initial dictionary [n, d] as unit-norm atoms; the encoder is left as it is."""
        self.W_dec.copy_(W_dec)
        self.normalize_decoder()

    @torch.no_grad()
    def set_encoder(self, W_enc: torch.Tensor, b_enc: torch.Tensor) -> None:
        self.W_enc.copy_(W_enc)
        self.b_enc.copy_(b_enc)

    @torch.no_grad()
    def fold_scaling(self, factor: float) -> None:
        """Turn an SAE trained on inputs scaled by `factor` into one that takes unscaled inputs
        and returns unscaled outputs (SAELens' fold_activation_norm_scaling_factor); the
        decoder atoms then have norm 1 / factor."""
        self.W_enc.mul_(factor)
        self.W_dec.div_(factor)
        if self.b_dec is not None:
            self.b_dec.div_(factor)

    @torch.no_grad()
    def fold_decoder_norm(self) -> None:
        """Scale each atom to unit norm and its encoder column and bias by the atom's old norm:
        the same function, in the form training keeps (unit-norm atoms)."""
        norms = self.W_dec.norm(dim=1).clamp_min(1e-12)
        self.W_dec.div_(norms[:, None])
        self.W_enc.mul_(norms[None, :])
        self.b_enc.mul_(norms)
