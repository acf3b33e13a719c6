"""The reference SAE of the seed post: ReLU encoder, L1 penalty, unit-norm untied decoder."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from saeinit.models.config import SAEConfig


class ForwardOutput(NamedTuple):
    x_hat: torch.Tensor
    acts: torch.Tensor
    loss: torch.Tensor
    mse: torch.Tensor
    l1: torch.Tensor


class ReLUSAE(nn.Module):
    """c = ReLU(x W_enc + b_enc); x_hat = c W_dec, with each row of W_dec a unit-norm atom.

    With `b_dec=True` it is SAELens' standard SAE: c = ReLU((x - b_dec) W_enc + b_enc) (or
    without the subtraction when `apply_b_dec_to_input` is False) and x_hat = c W_dec + b_dec.
    """

    def __init__(
        self,
        d_in: int,
        d_sae: int,
        l1_coefficient: float,
        b_dec: bool = False,
        apply_b_dec_to_input: bool = True,
    ):
        super().__init__()
        self.d_in, self.d_sae, self.l1_coefficient = d_in, d_sae, l1_coefficient
        self.apply_b_dec_to_input = apply_b_dec_to_input
        self.W_enc = nn.Parameter(torch.empty(d_in, d_sae))
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.W_dec = nn.Parameter(torch.empty(d_sae, d_in))
        self.b_dec: nn.Parameter | None
        self.register_parameter("b_dec", nn.Parameter(torch.zeros(d_in)) if b_dec else None)

    @classmethod
    def from_config(cls, config: SAEConfig, d_in: int, d_sae: int) -> ReLUSAE:
        return cls(d_in, d_sae, config.l1, config.b_dec != "none", config.apply_b_dec_to_input)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if self.b_dec is not None and self.apply_b_dec_to_input:
            x = x - self.b_dec
        return torch.relu(x @ self.W_enc + self.b_enc)

    def decode(self, acts: torch.Tensor) -> torch.Tensor:
        x_hat = acts @ self.W_dec
        return x_hat if self.b_dec is None else x_hat + self.b_dec

    def forward(self, x: torch.Tensor) -> ForwardOutput:
        acts = self.encode(x)
        x_hat = self.decode(acts)
        mse = (x_hat - x).pow(2).mean()
        l1 = acts.sum(dim=1).mean() / self.d_sae  # acts >= 0, so the sum is the L1 norm
        return ForwardOutput(x_hat, acts, mse + self.l1_coefficient * l1, mse, l1)

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
    def set_weights(self, W_dec: torch.Tensor, W_enc: torch.Tensor | None = None) -> None:
        """Load an initial dictionary [n, d]; the encoder keeps its own init unless given."""
        self.W_dec.copy_(W_dec)
        if W_enc is not None:
            self.W_enc.copy_(W_enc)
        self.normalize_decoder()

    @torch.no_grad()
    def set_encoder(self, W_enc: torch.Tensor, b_enc: torch.Tensor) -> None:
        self.W_enc.copy_(W_enc)
        self.b_enc.copy_(b_enc)

    @torch.no_grad()
    def tie_encoder(self) -> None:
        """W_enc = W_dec^T and b_enc = 0: each latent starts as its atom's projection."""
        self.W_enc.copy_(self.W_dec.T)
        self.b_enc.zero_()

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
