"""OpenAI's TopK SAE (Gao et al. 2024): the k largest ReLU latents of each sample, MSE loss."""

from __future__ import annotations

import torch

from saeinit.config import ConfigError
from saeinit.models.base import SAE, cfg_number
from saeinit.models.options import TopKOptions


class TopKSAE(SAE):
    """c = TopK_k(ReLU(x W_enc + b_enc)); x_hat = c W_dec. The loss is the MSE alone (no L1:
    sparsity is the k); dead latents are left to the trainer's --auxk or --resample-every."""

    def __init__(self, d_in, d_sae, k: int = TopKOptions.k, b_dec=False, apply_b_dec_to_input=True):
        super().__init__(d_in, d_sae, b_dec, apply_b_dec_to_input)
        self.k = min(k, d_sae)

    def configure(self, config) -> None:
        self.k = min(config.k, self.d_sae)

    def activate(self, pre_acts: torch.Tensor) -> torch.Tensor:
        acts = torch.relu(pre_acts)
        top = acts.topk(self.k, dim=1)
        return torch.zeros_like(acts).scatter_(1, top.indices, top.values)

    def saelens_settings(self) -> dict:
        return {"k": self.k}

    @classmethod
    def from_saelens(cls, cfg, d_in, d_sae, b_dec, apply) -> TopKSAE:
        k = cfg_number(cfg, "k", low=1, high=d_sae, integer=True)
        if cfg.get("rescale_acts_by_decoder_norm"):
            raise ConfigError("sae", "the SAE rescales TopK acts by decoder norm; not supported")
        return cls(d_in, d_sae, k, b_dec, apply)
