"""The `svd` init: atoms are right singular vectors of data samples.

One sample of d-dimensional data has at most d singular directions, fewer than the n > d atoms
of an overcomplete dictionary. --svd-fill says how the other atoms are made:

- blocks (default): split the init sample into ceil(n / d) disjoint blocks and concatenate each
  block's singular vectors, most significant first, until there are n. Every atom is then a
  singular vector, and blocks differ in their less significant directions.
- data: the singular vectors of the whole init sample, then random data samples for the rest.
  This is scikit-learn's dictionary-learning SVD init (singular vectors scaled by singular
  values, the missing atoms later resampled from data); scaling disappears with unit norm.
- signed: each singular vector with both signs (a ReLU latent only fires on one side of its
  atom), from ceil(n / 2d) disjoint blocks.

A singular vector's sign is arbitrary, so each is oriented to have a non-negative mean
projection of its sample: the side where the data lies.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from saeinit.config import ConfigError
from saeinit.inits.data_samples import init_sample, pick_rows
from saeinit.inits.request import InitRequest, InitWeights

REPORTS = 10
"""Progress lines of a long svd init: one per tenth of its blocks."""


def singular_directions(sample: torch.Tensor) -> torch.Tensor:
    """Right singular vectors of a sample [r, d], most significant first, for its rank r,
    each oriented towards the data."""
    _, S, Vh = torch.linalg.svd(sample.double(), full_matrices=False)
    tolerance = S[0] * max(sample.shape) * torch.finfo(sample.dtype).eps
    Vh = Vh[: int((S > tolerance).sum())]
    signs = torch.where((sample.double() @ Vh.T).sum(dim=0) < 0, -1.0, 1.0)
    return (Vh * signs[:, None]).to(sample.dtype)


def block_directions(
    sample: torch.Tensor,
    n: int,
    per_block: int,
    signed: bool,
    report: Callable[[str], None],
) -> torch.Tensor:
    """n directions from the singular vectors of ceil(n / per_block) disjoint blocks; `report`
    is told of every REPORTS-th share of the blocks done."""
    blocks = math.ceil(n / per_block)
    directions = []
    for done, block in enumerate(torch.tensor_split(sample, blocks), start=1):
        vectors = singular_directions(block) if len(block) else block
        directions.append(torch.cat([vectors, -vectors]) if signed else vectors)
        if done % math.ceil(blocks / REPORTS) == 0 or done == blocks:
            report(f"block {done}/{blocks}")
    atoms = torch.cat(directions)
    if len(atoms) < n:
        fill = "signed" if signed else "blocks"
        if len(sample) >= blocks * sample.shape[1]:  # blocks are large: the data lacks directions
            advice = "the data spans fewer directions than that; use --svd-fill data"
        else:
            advice = f"raise --init-samples to at least {blocks * sample.shape[1]}"
        raise ConfigError(
            "svd-fill" if len(sample) >= blocks * sample.shape[1] else "init-samples",
            f"svd ({fill}) splits the init sample into {blocks} blocks of about "
            f"{len(sample) // blocks} samples, whose singular vectors give only {len(atoms)} of "
            f"the {n} atoms: {advice}",
        )
    return atoms[:n]


def svd(request: InitRequest) -> InitWeights:
    sample, n, d = init_sample(request), request.n_atoms, request.dim
    if len(sample) == 0:
        raise ConfigError("init-samples", "svd needs non-zero data samples; the sample has none")
    fill = request.config.svd_fill
    if fill == "data":
        directions = singular_directions(sample)[:n]
        rest = pick_rows(sample, n - len(directions), request.generator, "svd (data fill)")
        return InitWeights(torch.cat([directions, rest]))
    signed = fill == "signed"
    per_block = 2 * d if signed else d
    return InitWeights(block_directions(sample, n, per_block, signed, request.report))
