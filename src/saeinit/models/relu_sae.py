"""The reference SAE of the seed post: ReLU encoder, L1 penalty, unit-norm untied decoder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from saeinit.config import require_non_negative, require_positive


@dataclass
class SAEConfig:
    """Shape and sparsity penalty of the SAE."""

    dict_size: int | None = None
    """Number of dictionary atoms n (unset: as many as ground-truth features)."""
    l1: float = 0.1
    """L1 coefficient alpha in loss = MSE + alpha * mean_batch(||c||_1) / n."""

    def __post_init__(self) -> None:
        require_positive("dict-size", self.dict_size, allow_none=True)
        require_non_negative("l1", self.l1)


class ForwardOutput(NamedTuple):
    x_hat: torch.Tensor
    acts: torch.Tensor
    loss: torch.Tensor
    mse: torch.Tensor
    l1: torch.Tensor


class ReLUSAE(nn.Module):
    """c = ReLU(x W_enc + b_enc); x_hat = c W_dec, with each row of W_dec a unit-norm atom."""

    def __init__(self, d_in: int, d_sae: int, l1_coefficient: float):
        super().__init__()
        self.d_in, self.d_sae, self.l1_coefficient = d_in, d_sae, l1_coefficient
        self.W_enc = nn.Parameter(torch.empty(d_in, d_sae))
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.W_dec = nn.Parameter(torch.empty(d_sae, d_in))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x @ self.W_enc + self.b_enc)

    def decode(self, acts: torch.Tensor) -> torch.Tensor:
        return acts @ self.W_dec

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
