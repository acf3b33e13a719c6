"""The reference SAE of the seed post: ReLU latents, an L1 penalty, a unit-norm untied decoder."""

from __future__ import annotations

import torch

from saeinit.models.base import SAE, cfg_number
from saeinit.models.options import ReLUOptions


class ReLUSAE(SAE):
    """c = ReLU(x W_enc + b_enc); loss = MSE + l1 * mean over the batch of ||c||_1 / n. With a
    b_dec it is SAELens' standard SAE."""

    def __init__(
        self,
        d_in,
        d_sae,
        l1_coefficient: float = ReLUOptions.l1,
        b_dec=False,
        apply_b_dec_to_input=True,
    ):
        super().__init__(d_in, d_sae, b_dec, apply_b_dec_to_input)
        self.l1_coefficient = l1_coefficient

    def configure(self, config) -> None:
        self.l1_coefficient = config.l1

    def activate(self, pre_acts: torch.Tensor) -> torch.Tensor:
        return torch.relu(pre_acts)

    def sparsity_loss(self, acts: torch.Tensor) -> tuple[torch.Tensor, float]:
        # acts >= 0, so the sum is the L1 norm
        return acts.sum(dim=1).mean() / self.d_sae, self.l1_coefficient

    def saelens_settings(self) -> dict:
        return {"l1_coefficient": self.l1_coefficient}

    @classmethod
    def from_saelens(cls, cfg, d_in, d_sae, b_dec, apply) -> ReLUSAE:
        l1 = cfg_number(cfg, "l1_coefficient", 0.0)  # SAELens may leave it out or null
        return cls(d_in, d_sae, l1, b_dec, apply)
