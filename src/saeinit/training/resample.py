"""Keep informing the dictionary during training: re-seed dead latents from the data.

Anthropic (2023) resamples a dead latent from an input drawn with probability proportional to
its squared reconstruction loss. We take the same draw but use the sample's *residual*
x - x_hat as the new atom: the part of the data the dictionary misses, which is where the
features no atom has found yet (the rare ones) show up. The encoder row is the atom scaled to
0.2 x the mean norm of the live encoder rows, its bias 0, and Adam's state for the row is reset.
"""

from __future__ import annotations

import torch

from saeinit.inits.registry import normalize_rows
from saeinit.models import ReLUSAE

ENCODER_SCALE = 0.2


class DeadLatentTracker:
    """Which latents fired at least once since the last reset."""

    def __init__(self, n_latents: int, device: torch.device):
        self.fired = torch.zeros(n_latents, dtype=torch.bool, device=device)

    def update(self, acts: torch.Tensor) -> None:
        self.fired |= (acts > 0).any(dim=0)

    def dead(self) -> torch.Tensor:
        return (~self.fired).nonzero().squeeze(1)

    def reset(self) -> None:
        self.fired.zero_()


@torch.no_grad()
def resample(
    model: ReLUSAE,
    optimizer: torch.optim.Adam,
    dead: torch.Tensor,
    x: torch.Tensor,
    generator: torch.Generator,
) -> int:
    """Re-seed the `dead` latents from samples of `x` drawn by squared loss; returns how many."""
    if len(dead) == 0:
        return 0
    residual = x - model(x).x_hat
    weights = residual.pow(2).sum(dim=1).pow(2)
    if weights.sum() <= 0:
        return 0
    picks = torch.multinomial(
        weights.cpu(), len(dead), replacement=len(dead) > len(x), generator=generator
    )
    atoms = normalize_rows(residual[picks.to(x.device)])
    alive = torch.ones(model.d_sae, dtype=torch.bool, device=x.device)
    alive[dead] = False
    scale = model.W_enc[:, alive].norm(dim=0).mean() if alive.any() else 1.0
    model.W_dec[dead] = atoms
    model.W_enc[:, dead] = atoms.T * ENCODER_SCALE * scale
    model.b_enc[dead] = 0.0
    _reset_adam_rows(optimizer, model, dead)
    return len(dead)


def _reset_adam_rows(optimizer: torch.optim.Adam, model: ReLUSAE, dead: torch.Tensor) -> None:
    """Zero Adam's moments for the re-seeded latents (rows of W_dec, columns of W_enc)."""
    for param, index in ((model.W_dec, (dead,)), (model.W_enc, (slice(None), dead)),
                         (model.b_enc, (dead,))):  # fmt: skip
        state = optimizer.state.get(param)
        if state:
            state["exp_avg"][index] = 0.0
            state["exp_avg_sq"][index] = 0.0
