"""OpenAI's TopK SAE (Gao et al. 2024): the k largest ReLU latents of each sample, MSE loss."""

from __future__ import annotations

import torch

from saeinit.models.config import SAEConfig
from saeinit.models.relu_sae import ReLUSAE


class TopKSAE(ReLUSAE):
    """c = TopK_k(ReLU(x W_enc + b_enc)); x_hat = c W_dec. The loss is the MSE alone (no L1:
    sparsity is the k); without AuxK, dead latents are left to --resample-every."""

    def __init__(
        self,
        d_in: int,
        d_sae: int,
        k: int,
        b_dec: bool = False,
        apply_b_dec_to_input: bool = True,
    ):
        super().__init__(d_in, d_sae, 0.0, b_dec, apply_b_dec_to_input)
        self.k = min(k, d_sae)

    @classmethod
    def from_config(cls, config: SAEConfig, d_in: int, d_sae: int) -> TopKSAE:
        return cls(d_in, d_sae, config.k, config.b_dec != "none", config.apply_b_dec_to_input)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        acts = super().encode(x)
        top = acts.topk(self.k, dim=1)
        return torch.zeros_like(acts).scatter_(1, top.indices, top.values)
