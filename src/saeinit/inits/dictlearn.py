"""Inits that learn the dictionary from the init sample before the SAE sees any data.

`modes`: a sample with exactly one active feature points exactly along that feature, and every
such sample of the same feature has the same direction. Directions repeated in the init sample
(found by hashing rounded unit vectors, linear in the sample size) are therefore features;
the most repeated come first, and data samples fill the remaining atoms.

`mod`: start from `modes`, then alternate sparse coding (batched orthogonal matching pursuit,
--omp-k atoms per sample) with the method of optimal directions (MOD: the least-squares
dictionary for those codes), for --mod-iters rounds. Atoms no sample uses, or that duplicate
another, are replaced by the normalised residuals of the worst-explained samples: the part of
the data the dictionary misses, which is where rare features hide.
"""

from __future__ import annotations

import torch

from saeinit.inits.data_samples import init_sample, pick_rows
from saeinit.inits.registry import InitRequest, InitWeights, normalize_rows, register

HASH_DECIMALS = 3
"""Unit vectors rounded to this many decimals share a hash when they point the same way."""
DUPLICATE_COSINE = 0.95
"""Two atoms closer than this are duplicates; MOD replaces one of them."""
CODING_CHUNK = 8192
"""Samples sparse-coded at once (bounds the memory of batched matching pursuit)."""


def repeated_directions(sample: torch.Tensor) -> torch.Tensor:
    """Unit directions that occur at least twice in the sample, most repeated first."""
    units = normalize_rows(sample)
    keys = torch.round(units * 10**HASH_DECIMALS).to(torch.int32)
    _, inverse, counts = torch.unique(keys, dim=0, return_inverse=True, return_counts=True)
    first = torch.full((len(counts),), len(units), dtype=torch.long)
    first.scatter_reduce_(0, inverse, torch.arange(len(units)), reduce="amin")
    repeated = (counts >= 2).nonzero().squeeze(1)
    by_count = repeated[torch.argsort(counts[repeated], descending=True, stable=True)]
    return units[first[by_count]]


def modes_dictionary(
    sample: torch.Tensor, n_atoms: int, generator: torch.Generator
) -> torch.Tensor:
    """Repeated directions first, then random data samples up to n_atoms."""
    atoms = repeated_directions(sample)[:n_atoms]
    missing = n_atoms - len(atoms)
    if missing:
        atoms = torch.cat([atoms, normalize_rows(pick_rows(sample, missing, generator, "modes"))])
    return atoms


def matching_pursuit(
    x: torch.Tensor, atoms: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Orthogonal matching pursuit of every row of x with k atoms: codes [N, n], residuals."""
    codes, residuals = [], []
    for chunk in x.split(CODING_CHUNK):
        support = torch.empty(len(chunk), 0, dtype=torch.long)
        residual = chunk
        for _ in range(min(k, len(atoms))):
            scores = (residual @ atoms.T).scatter_(1, support, float("-inf"))
            support = torch.cat([support, scores.argmax(dim=1, keepdim=True)], dim=1)
            basis = atoms[support].transpose(1, 2)  # [chunk, d, s]
            coef = torch.linalg.lstsq(basis, chunk.unsqueeze(2)).solution
            residual = chunk - (basis @ coef).squeeze(2)
        code = torch.zeros(len(chunk), len(atoms))
        codes.append(code.scatter_(1, support, coef.squeeze(2)))
        residuals.append(residual)
    return torch.cat(codes), torch.cat(residuals)


def mod_step(x: torch.Tensor, atoms: torch.Tensor, k: int) -> torch.Tensor:
    """One round: code, solve for the least-squares dictionary, re-seed unused or duplicate
    atoms with the residuals of the worst-explained samples."""
    codes, residuals = matching_pursuit(x, atoms, k)
    gram = codes.T @ codes + 1e-4 * torch.eye(len(atoms))
    updated = normalize_rows(torch.linalg.solve(gram, codes.T @ x))
    unused = (codes != 0).sum(dim=0) < 2
    similarity = (updated @ updated.T).triu_(diagonal=1)
    duplicate = (similarity > DUPLICATE_COSINE).any(dim=0)
    replace = (unused | duplicate).nonzero().squeeze(1)
    worst = torch.argsort(residuals.norm(dim=1), descending=True)[: len(replace)]
    updated[replace[: len(worst)]] = normalize_rows(residuals[worst])
    return updated


@register("modes", "directions repeated in the data (samples of one feature), then data samples")
def modes(request: InitRequest) -> InitWeights:
    sample = init_sample(request)
    return InitWeights(modes_dictionary(sample, request.n_atoms, request.generator))


@register(
    "mod",
    "modes, refined by --mod-iters rounds of matching pursuit and optimal directions (MOD)",
    samples=16384,
)
def mod(request: InitRequest) -> InitWeights:
    sample = init_sample(request)
    atoms = modes_dictionary(sample, request.n_atoms, request.generator)
    for _ in range(request.config.mod_iters):
        atoms = mod_step(sample, atoms, request.config.omp_k)
    return InitWeights(atoms)
