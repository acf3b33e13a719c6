"""Thinning an init's sample where it crowds (--thin-cosine).

A data-driven init puts atoms where its sample is dense. On real activations the densest
places are crowds of tokens that recur almost unchanged: a handful of latents reconstructs
one, the init gives it more, and those latents share the same few tokens. A per-token TopK
trainer (sparsify's) picks only some of them there and, since it passes no gradient to a
latent it does not pick, the rest never fire again. Thinning keeps a row with `m` other rows
within the cosine with probability min(1, neighbors / m), so that a crowd of near-identical
rows keeps about `neighbors` of them and a row with few neighbours is kept.
"""

from __future__ import annotations

import torch

from saeinit.tensors import normalize_rows

REFERENCE_ROWS = 4096
"""Rows a sample's neighbours are counted among (every few rows of a larger sample, the
count scaled up): the count costs the sample's rows times these."""
CHUNK_ROWS = 2048
"""Rows whose cosines with the reference are computed at once (memory: these x reference)."""


def keep_probabilities(
    sample: torch.Tensor, cosine: float, neighbors: int, reference_rows: int = REFERENCE_ROWS
) -> torch.Tensor:
    """Per row of `sample` [n, d], min(1, neighbors / m), m the number of other rows whose
    cosine with it exceeds `cosine` once the sample's mean is removed (counted among every
    ceil(n / reference_rows)-th row, the row itself left out, and scaled to the n - 1 other
    rows when the sample is larger)."""
    units = normalize_rows(sample.float() - sample.float().mean(dim=0))
    step = -(-len(units) // reference_rows)
    reference = units[::step]
    counts = torch.cat(
        [(chunk @ reference.T > cosine).sum(dim=1) for chunk in units.split(CHUNK_ROWS)]
    )
    itself = torch.zeros(len(units), device=units.device)
    itself[::step] = 1.0  # a reference row counts itself
    others = (counts - itself) * (len(units) - 1) / (len(reference) - itself).clamp_min(1)
    return (neighbors / others).clamp(max=1.0)


def thinned(
    sample: torch.Tensor, cosine: float, neighbors: int, generator: torch.Generator
) -> torch.Tensor:
    """The rows of `sample` [n, d] that thinning keeps (each with its `keep_probabilities`,
    drawn from `generator`), in their order."""
    chances = keep_probabilities(sample, cosine, neighbors)
    draws = torch.rand(len(sample), generator=generator, device=generator.device)
    return sample[(draws.to(chances.device) < chances).to(sample.device)]
