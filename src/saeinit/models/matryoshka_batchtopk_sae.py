"""Matryoshka BatchTopK SAE (Bussmann et al. 2025), as SAELens trains it: a BatchTopK SAE whose
loss also asks nested prefixes of its dictionary (its first w latents, for each of a few
widths w) to reconstruct the input on their own. The first latents then learn the general,
frequent features and the later ones refine them, instead of absorbing them into narrower
latents. Inference and saving are BatchTopK's: SAELens' JumpReLU with one threshold."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from saeinit.config import ConfigError
from saeinit.models.base import ForwardOutput
from saeinit.models.batchtopk_sae import BatchTopKSAE
from saeinit.models.options import BatchTopKOptions, matryoshka_levels


def levels(widths: Sequence[int] | None, d_sae: int) -> tuple[int, ...]:
    """The nested widths, checked as `--matryoshka-widths` is, ending with d_sae (None: the
    option's default)."""
    return matryoshka_levels(None if widths is None else ",".join(map(str, widths)), d_sae)


class MatryoshkaBatchTopKSAE(BatchTopKSAE):
    """BatchTopK latents c (chosen once, over the whole dictionary) and, for the nested widths
    w_1 < ... < w_L = d_sae, the prefix reconstructions x_hat_l = c[:, :w_l] W_dec[:w_l] + b_dec.
    loss = sum over l of MSE(x_hat_l, x): SAELens' loss (each level's squared error summed
    over the input dimensions and averaged over the batch, the levels added, not averaged)
    divided by d_in, as our MSE is its mean over dimensions. Every level carries b_dec and
    sends gradients to every latent it uses: nothing is detached. The whole dictionary's level
    is the usual reconstruction: `mse` and `x_hat` (what metrics, AuxK and resampling see)
    are those of the BatchTopK SAE, only `loss` adds the inner levels."""

    def __init__(
        self,
        d_in,
        d_sae,
        k: float = BatchTopKOptions.batchtopk_k,
        threshold_lr: float = BatchTopKOptions.batchtopk_threshold_lr,
        b_dec=False,
        apply_b_dec_to_input=True,
        *,
        widths: Sequence[int] | None = None,
    ):
        super().__init__(d_in, d_sae, k, threshold_lr, b_dec, apply_b_dec_to_input)
        self.widths = levels(widths, d_sae)

    def configure(self, config) -> None:
        super().configure(config)
        self.widths = matryoshka_levels(config.matryoshka_widths, self.d_sae)

    def forward(self, x: torch.Tensor, sparsity_scale: float = 1.0) -> ForwardOutput:
        """The BatchTopK pass, its loss plus the inner levels' MSEs."""
        out = super().forward(x, sparsity_scale)
        return out._replace(loss=out.loss + self.inner_loss(x, out.acts))

    def inner_loss(self, x: torch.Tensor, acts: torch.Tensor) -> torch.Tensor:
        """The sum of the MSEs of the levels short of the whole dictionary, each prefix's
        reconstruction built on the previous one."""
        x_hat = torch.zeros_like(x) if self.b_dec is None else self.b_dec.expand_as(x)
        total, start = x.new_zeros(()), 0
        for width in self.widths[:-1]:
            x_hat = x_hat + acts[:, start:width] @ self.W_dec[start:width]
            total = total + (x_hat - x).pow(2).mean()
            start = width
        return total

    def saelens_settings(self) -> dict:
        # SAELens' training key, with the whole dictionary last as its config holds it
        return {**super().saelens_settings(), "matryoshka_widths": list(self.widths)}

    @classmethod
    def from_saelens(cls, cfg, d_in, d_sae, b_dec, apply) -> MatryoshkaBatchTopKSAE:
        model = super().from_saelens(cfg, d_in, d_sae, b_dec, apply)
        widths = cfg.get("matryoshka_widths")
        if widths is not None and not isinstance(widths, list):
            raise ConfigError("sae", f"matryoshka_widths in the cfg.json is no list: {widths!r}")
        try:
            model.widths = levels(widths, d_sae)
        except ConfigError as err:
            raise ConfigError("sae", f"matryoshka_widths in the cfg.json: {err.message}") from err
        return model
