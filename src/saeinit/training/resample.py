"""Keep informing the dictionary during training: re-seed dead latents from the data.

Anthropic (2023) resamples a dead latent from an input drawn with probability proportional to
its squared reconstruction loss over a large pool of inputs. We take the same draw but use the
sample's *residual* x - x_hat as the new atom: the part of the data the dictionary misses,
which is where the features no atom has found yet (the rare ones) show up. The pool is the
POOL_SIZE worst-reconstructed training samples since the last resampling, so a rare feature
seen once in thousands of batches still reaches it. The encoder row is the atom scaled to
0.2 x the mean norm of the live encoder rows, its bias 0, whatever else the architecture keeps
per latent restarted (`SAE.reset_latent_state`: JumpReLU's threshold), and Adam's state for
the latent is reset.
"""

from __future__ import annotations

import torch

from saeinit.models import SAE
from saeinit.tensors import normalize_rows

ENCODER_SCALE = 0.2
POOL_SIZE = 4096
"""Residuals the pool keeps: the largest seen since the last resampling."""


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


class ResidualPool:
    """The residuals x - x_hat of the worst-reconstructed samples seen since the last reset."""

    def __init__(self, capacity: int = POOL_SIZE):
        self.capacity = capacity
        self.residuals: torch.Tensor | None = None

    def update(self, residuals: torch.Tensor) -> None:
        pool = residuals if self.residuals is None else torch.cat([self.residuals, residuals])
        if len(pool) > self.capacity:
            pool = pool[pool.pow(2).sum(dim=1).topk(self.capacity).indices]
        self.residuals = pool

    def reset(self) -> None:
        self.residuals = None


@torch.no_grad()
def resample(
    model: SAE,
    optimizer: torch.optim.Adam,
    dead: torch.Tensor,
    residual: torch.Tensor,
    generator: torch.Generator,
) -> int:
    """Re-seed the `dead` latents from rows of `residual` (x - x_hat) drawn by squared loss;
    returns how many."""
    if len(dead) == 0:
        return 0
    weights = residual.pow(2).sum(dim=1).pow(2)
    if weights.sum() <= 0:
        return 0
    picks = torch.multinomial(
        weights.cpu(), len(dead), replacement=len(dead) > len(residual), generator=generator
    )
    atoms = normalize_rows(residual[picks.to(residual.device)])
    alive = torch.ones(model.d_sae, dtype=torch.bool, device=residual.device)
    alive[dead] = False
    scale = model.W_enc[:, alive].norm(dim=0).mean() if alive.any() else 1.0
    model.W_dec[dead] = atoms
    model.W_enc[:, dead] = atoms.T * ENCODER_SCALE * scale
    model.b_enc[dead] = 0.0
    model.reset_latent_state(dead)
    _reset_adam_rows(optimizer, model, dead)
    return len(dead)


def _reset_adam_rows(optimizer: torch.optim.Adam, model: SAE, dead: torch.Tensor) -> None:
    """Zero Adam's moments for the re-seeded latents in every per-latent parameter (rows of
    W_dec, columns of W_enc, ...)."""
    for param, dim in model.latent_parameters():
        state = optimizer.state.get(param)
        if state:
            state["exp_avg"].index_fill_(dim, dead, 0.0)
            state["exp_avg_sq"].index_fill_(dim, dead, 0.0)
