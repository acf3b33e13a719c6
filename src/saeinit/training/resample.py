"""Keep informing the dictionary during training: re-seed dead latents from the data.

Anthropic (2023) resamples a dead latent from an input drawn with probability proportional to
its squared reconstruction loss over a large pool of inputs. We take the same draw but use the
sample's *residual* x - x_hat as the new atom: the part of the data the dictionary misses,
which is where the features no atom has found yet (the rare ones) show up. The pool is the
POOL_SIZE worst-reconstructed training samples since the last resampling, so a rare feature
seen once in thousands of batches still reaches it. The encoder row is the atom scaled to
0.2 x the mean norm of the live encoder rows, its bias 0 (with --resample-threshold, what makes
it fire only where the input's projection on the atom exceeds that threshold), whatever else
the architecture keeps per latent restarted (`SAE.reset_latent_state`: JumpReLU's threshold),
and Adam's state for the latent is reset.

With `--resample-duplicates` a latent whose atom nearly repeats the atom of a latent that fired
more is re-seeded too: an L1 penalty costs the same whether one latent or two carry a feature,
so such a duplicate neither dies nor is resampled as dead, and holds a latent that a feature no
atom has found yet could take.
"""

from __future__ import annotations

import torch

from saeinit.inits.chunks import row_chunks
from saeinit.models import SAE
from saeinit.models.base import ForwardOutput
from saeinit.tensors import normalize_rows
from saeinit.training.config import TrainConfig

ENCODER_SCALE = 0.2
POOL_SIZE = 4096
"""Residuals the pool keeps: the largest seen since the last resampling."""


class FiringCounter:
    """How many samples each latent fired on since the last reset."""

    def __init__(self, n_latents: int, device: torch.device):
        self.fires = torch.zeros(n_latents, dtype=torch.long, device=device)

    def update(self, acts: torch.Tensor) -> None:
        self.fires += (acts > 0).sum(dim=0)

    def dead(self) -> torch.Tensor:
        return (self.fires == 0).nonzero().squeeze(1)

    def reset(self) -> None:
        self.fires.zero_()


@torch.no_grad()
def duplicates(atoms: torch.Tensor, fires: torch.Tensor, max_cosine: float) -> torch.Tensor:
    """The latents whose atom (a row of `atoms`) has a cosine above `max_cosine` with the atom
    of a latent that fired more (`fires`; on a tie, the one of lower index): of each group of
    near-copies, all but the most used."""
    unit = normalize_rows(atoms)
    index = torch.arange(len(unit), device=unit.device)
    found = []
    for rows in row_chunks(index, len(unit)):
        close = unit[rows] @ unit.T > max_cosine
        close[torch.arange(len(rows), device=rows.device), rows] = False
        busier = fires[None, :] > fires[rows, None]
        tie = (fires[None, :] == fires[rows, None]) & (index[None, :] < rows[:, None])
        found.append(rows[(close & (busier | tie)).any(dim=1)])
    return torch.cat(found)


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


class Resampler:
    """Every --resample-every steps, re-seed the latents that did not fire since the last time
    (and, with --resample-duplicates, the duplicates) from the pooled residuals."""

    def __init__(self, model: SAE, config: TrainConfig):
        self.every, self.max_cosine = config.resample_every, config.resample_duplicates
        self.threshold = config.resample_threshold
        self.counter = FiringCounter(model.d_sae, model.W_dec.device)
        self.pool = ResidualPool()
        self.generator = torch.Generator().manual_seed(config.seed)

    def observe(self, batch: torch.Tensor, out: ForwardOutput) -> None:
        """Count the batch's firings and pool its residuals."""
        self.counter.update(out.acts.detach())
        self.pool.update(batch - out.x_hat.detach())

    def after_step(self, step: int, model: SAE, optimizer: torch.optim.Adam) -> int:
        """Resample if `step` is due; returns how many latents were re-seeded."""
        if step % self.every:
            return 0
        latents = self.counter.dead()
        if self.max_cosine is not None:
            copies = duplicates(model.W_dec, self.counter.fires, self.max_cosine)
            latents = torch.unique(torch.cat([latents, copies]))
        residuals = self.pool.residuals
        count = resample(model, optimizer, latents, residuals, self.generator, self.threshold)
        self.counter.reset()
        self.pool.reset()
        return count


@torch.no_grad()
def resample(
    model: SAE,
    optimizer: torch.optim.Adam,
    dead: torch.Tensor,
    residual: torch.Tensor,
    generator: torch.Generator,
    threshold: float = 0.0,
) -> int:
    """Re-seed the `dead` latents from rows of `residual` (x - x_hat) drawn by squared loss,
    each to fire where the input's projection on its new atom exceeds `threshold`; returns how
    many."""
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
    model.b_enc[dead] = -threshold * ENCODER_SCALE * scale
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
