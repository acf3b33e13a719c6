"""Inits that learn the dictionary from the init sample before the SAE sees any data.

`modes`: a sample with exactly one active feature points exactly along that feature, and every
such sample of the same feature has the same direction. Directions repeated in the init sample
(found by hashing rounded unit vectors, linear in the sample size) are therefore features;
the most repeated come first, and data samples fill the remaining atoms.

`mod`: start from `modes`, then alternate sparse coding (batched orthogonal matching pursuit,
--omp-k atoms per sample, picked among --omp-candidates: `pursuit.py`) with the method of
optimal directions (MOD: the least-squares dictionary for those codes), for --mod-iters
rounds. Atoms no sample uses, or that duplicate another, are replaced by the normalised
residuals of the worst-explained samples: the part of the data the dictionary misses, which is
where rare features hide.

Both run in torch on the device of the init sample, and their cost is linear in the sample
size: the codes stay index/value pairs, the dictionary update never forms C.T C, and the
duplicate search screens pairs of atoms in a few random dimensions.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from saeinit.config import ConfigError
from saeinit.inits.chunks import row_chunks
from saeinit.inits.data_samples import init_sample, pick_rows
from saeinit.inits.pursuit import (
    CodeMatrix,
    SparseCodes,
    check_omp_k,
    matching_pursuit,
    unsolvable,
)
from saeinit.inits.request import InitRequest, InitWeights
from saeinit.tensors import normalize_rows

Coder = Callable[[torch.Tensor, torch.Tensor], SparseCodes]
"""Codes a sample [N, d] with atoms [n, d]: the sparse coding half of a MOD round."""

HASH_DECIMALS = 3
"""Unit vectors rounded to this many decimals share a hash when they point the same way."""
DUPLICATE_COSINE = 0.95
"""Two atoms closer than this are duplicates; MOD replaces one of them."""
SCREEN_DIMS = 64
"""Dimensions of the random projection in which the duplicate search screens pairs of atoms
(data of at most this many dimensions is compared as it is)."""
SCREEN_COSINE = 0.7
"""Pairs whose projections are within this cosine are compared in full. Two atoms at
DUPLICATE_COSINE project below it with a probability of order 1e-16 (an F(63, 64) tail), and
unrelated atoms project above it with a probability of order 1e-8."""
SCREEN_SEED = 0
"""Seed of that projection (fixed: the search takes nothing from the init's generator)."""
PCG_ITERATIONS = 8
"""Iterations of the preconditioned conjugate gradients of the least-squares dictionary
update (each costs two passes over the codes)."""
RIDGE = 1e-4
"""Ridge added to C.T C so that atoms no sample uses keep a defined update."""
ORDINARY_SCALE = 2.0**8
"""mod codes a sample whose RMS row norm lies within [1 / this, this] as it is. Its ridges are
absolute and its conjugate gradients square the data's scale (sums of squared
coefficients), which overflows float32 for data far larger than 1; a sample outside the range
is divided by the power of two nearest its RMS norm (exactly; the atoms are directions,
whatever the scale)."""


def repeated_directions(sample: torch.Tensor) -> torch.Tensor:
    """Unit directions that occur at least twice in the sample, most repeated first (ties in
    the order of their rounded coordinates)."""
    units = normalize_rows(sample)
    keys = torch.round(units * 10**HASH_DECIMALS)
    rows = maybe_repeated(keys)
    keys = keys[rows].to(torch.int32)
    _, inverse, counts = torch.unique(keys, dim=0, return_inverse=True, return_counts=True)
    first = torch.full((len(counts),), len(units), dtype=torch.long, device=units.device)
    first.scatter_reduce_(0, inverse, rows, reduce="amin")
    repeated = (counts >= 2).nonzero().squeeze(1)
    by_count = repeated[torch.argsort(counts[repeated], descending=True, stable=True)]
    return units[first[by_count]]


def maybe_repeated(keys: torch.Tensor) -> torch.Tensor:
    """Indices of the rows of `keys` (integers of at most 10**HASH_DECIMALS in magnitude) whose
    hash occurs more than once: every row that repeats, and the few others that share a hash.
    A row's hash is its dot product with random integer weights (from SCREEN_SEED), exact in
    float64 whatever the order of the sum (every partial sum is an integer below 2**53), so
    equal rows hash alike on any device. Sorting one number per row costs far less than
    sorting the rows themselves, which then happens for these rows only."""
    bound = 2**53 // (keys.shape[1] * 10**HASH_DECIMALS)
    generator = torch.Generator().manual_seed(SCREEN_SEED)
    weights = torch.randint(bound, (keys.shape[1],), generator=generator, dtype=torch.float64)
    weights = weights.to(keys.device)
    hashes = torch.cat([chunk.double() @ weights for chunk in row_chunks(keys, keys.shape[1])])
    _, inverse, counts = torch.unique(hashes, return_inverse=True, return_counts=True)
    return (counts[inverse] > 1).nonzero().squeeze(1)


def modes_dictionary(
    sample: torch.Tensor, n_atoms: int, generator: torch.Generator
) -> torch.Tensor:
    """Repeated directions first, then random data samples up to n_atoms."""
    atoms = repeated_directions(sample)[:n_atoms]
    missing = n_atoms - len(atoms)
    if missing:
        atoms = torch.cat([atoms, normalize_rows(pick_rows(sample, missing, generator, "modes"))])
    return atoms


def optimal_directions(
    codes: SparseCodes, x: torch.Tensor, start: torch.Tensor, thresholded: bool = False
) -> torch.Tensor:
    """The least-squares dictionary D = argmin ||x - C D||^2 + RIDGE ||D||^2, by conjugate
    gradients on the normal equations (C.T C + RIDGE) D = C.T x from `start`, one system per
    column of D. C.T C is applied as C.T (C D), never formed, so that an iteration is linear in
    the sample size (the direct solve of MOD is cubic in the atom count). The equations are
    preconditioned by their diagonal (each atom's sum of squared coefficients): an atom used by
    thousands of samples and one used by a few then converge in the same few iterations.
    `thresholded` codes (sae-mod's) hold zeros, which are dropped, and the iterations start
    from each atom of `start` times its best scale for the codes: unit atoms are far from a
    solution whose rows are not, and fewer iterations then reach it (mod keeps the plain start
    its documented results were measured from)."""
    C = CodeMatrix(codes, len(start), drop_zeros=thresholded)
    if thresholded:
        image = C.transposed_times(C.times(start))
        fit = (C.transposed_times(x) * start).sum(dim=1) / (image * start).sum(dim=1)
        start = start * fit.nan_to_num(0.0).clamp_min(0).unsqueeze(1)
    diagonal = (C.squared_norms() + RIDGE).unsqueeze(1)
    product = torch.empty_like(start)  # reused: an n x d temporary per operation costs more

    def normal(D: torch.Tensor) -> torch.Tensor:
        return C.transposed_times(C.times(D)).add_(D, alpha=RIDGE)

    def column_dots(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.mul(a, b, out=product).sum(dim=0)

    solution = start.clone()
    residual = C.transposed_times(x).sub_(normal(solution))
    preconditioned = residual / diagonal
    direction = preconditioned.clone()
    power = column_dots(residual, preconditioned)
    for _ in range(PCG_ITERATIONS):
        image = normal(direction)
        step = power / column_dots(direction, image).clamp_min(1e-30)
        solution.add_(torch.mul(direction, step, out=product))
        residual.sub_(torch.mul(image, step, out=product))
        torch.div(residual, diagonal, out=preconditioned)
        new_power = column_dots(residual, preconditioned)
        direction.mul_(new_power / power.clamp_min(1e-30)).add_(preconditioned)
        power = new_power
    return solution


def mod_step(
    x: torch.Tensor, atoms: torch.Tensor, coder: Coder, thresholded: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """One round: code, solve for the least-squares dictionary (`optimal_directions`), re-seed
    unused or duplicate atoms with the residuals of the worst-explained samples. The new atoms
    and how many samples the round's codes used each of them for (0 for a re-seeded atom)."""
    codes = coder(x, atoms)
    updated = normalize_rows(optimal_directions(codes, x, atoms, thresholded))
    uses = torch.bincount(codes.support[codes.coef != 0], minlength=len(atoms))
    replace = ((uses < 2) | duplicates(updated)).nonzero().squeeze(1)
    worst = torch.argsort(codes.residual.norm(dim=1), descending=True)[: len(replace)]
    updated[replace[: len(worst)]] = normalize_rows(codes.residual[worst])
    uses[replace[: len(worst)]] = 0
    return updated, uses


def duplicates(atoms: torch.Tensor) -> torch.Tensor:
    """A mask of the atoms within DUPLICATE_COSINE of an earlier atom. Pairs are screened in a
    random projection to SCREEN_DIMS dimensions (d / SCREEN_DIMS times cheaper than comparing
    the atoms; SCREEN_COSINE says what that may miss), a chunk of rows against the atoms after
    them at a time, and the pairs within SCREEN_COSINE there are compared in full."""
    n, dim = atoms.shape
    screened = dim > SCREEN_DIMS
    keys = normalize_rows(atoms @ _projection(dim, atoms.device)) if screened else atoms
    threshold = SCREEN_COSINE if screened else DUPLICATE_COSINE
    duplicate = torch.zeros(n, dtype=torch.bool, device=atoms.device)
    start = 0
    for block in row_chunks(keys, n):
        close = block @ keys[start:].T > threshold  # [rows, atoms from the block's first on]
        close[:, : len(block)].triu_(1)  # an atom is compared with the atoms after it
        first, second = close.nonzero().T
        first, second = first + start, second + start
        if screened:
            verified = (atoms[first] * atoms[second]).sum(dim=1) > DUPLICATE_COSINE
            second = second[verified]
        duplicate[second] = True
        start += len(block)
    return duplicate


def _projection(dim: int, device: torch.device) -> torch.Tensor:
    """The duplicate search's random projection [dim, SCREEN_DIMS], from SCREEN_SEED."""
    generator = torch.Generator().manual_seed(SCREEN_SEED)
    return torch.randn(dim, SCREEN_DIMS, generator=generator).to(device)


def modes(request: InitRequest) -> InitWeights:
    sample = init_sample(request)
    return InitWeights(modes_dictionary(sample, request.n_atoms, request.generator))


def mod(request: InitRequest) -> InitWeights:
    config = request.config
    check_omp_k(config.omp_k, request.n_atoms)

    def pursuit(x: torch.Tensor, atoms: torch.Tensor) -> SparseCodes:
        return matching_pursuit(x, atoms, config.omp_k, config.omp_candidates)

    return refined(request, pursuit, config.mod_iters, "the mod init")


def refined(
    request: InitRequest, coder: Coder, rounds: int, what: str, thresholded: bool = False
) -> InitWeights:
    """`modes`' dictionary of the init sample refined by `rounds` of `mod_step` with `coder`;
    a round float32 cannot solve is a ConfigError naming the data's own scale. `thresholded`
    (sae-mod; see `optimal_directions`) also orders the atoms by the last round's use, most
    used first: a Matryoshka SAE's first groups then start with the most frequent features
    (mod keeps the order its documented results were measured in)."""
    drawn = init_sample(request)
    scale = ordinary_scale(drawn)
    sample = drawn / scale if scale != 1.0 else drawn
    atoms = modes_dictionary(sample, request.n_atoms, request.generator)
    try:
        for done in range(1, rounds + 1):
            atoms, uses = mod_step(sample, atoms, coder, thresholded)
            request.report(f"round {done}/{rounds}")
    except ConfigError as err:  # name the data's own scale, not the rescaled one
        raise unsolvable("init", what, drawn) from err
    if not torch.isfinite(atoms).all():
        raise unsolvable("init", what, drawn)
    if thresholded and rounds:
        atoms = atoms[torch.argsort(uses, descending=True, stable=True)]
    return InitWeights(atoms)


def ordinary_scale(sample: torch.Tensor) -> float:
    """1 for a sample whose RMS row norm is within ORDINARY_SCALE of 1 (or that is all
    zeros), else the power of two nearest that norm."""
    largest = sample.abs().max().item() if sample.numel() else 0.0
    if largest == 0:
        return 1.0
    rms = (sample / largest).pow(2).sum(dim=1).mean().sqrt().item() * largest
    if 1 / ORDINARY_SCALE <= rms <= ORDINARY_SCALE:
        return 1.0
    return 2.0 ** round(math.log2(rms))
