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

import math
import warnings
from typing import NamedTuple

import torch

from saeinit.config import ConfigError
from saeinit.inits.data_samples import init_sample, pick_rows
from saeinit.inits.request import InitRequest, InitWeights
from saeinit.tensors import normalize_rows

HASH_DECIMALS = 3
"""Unit vectors rounded to this many decimals share a hash when they point the same way."""
DUPLICATE_COSINE = 0.95
"""Two atoms closer than this are duplicates; MOD replaces one of them."""
CODING_BUDGET = 2**26
"""Entries of the largest samples x atoms score matrix held at once (bounds the memory of
matching pursuit and of the duplicate search)."""
CG_ITERATIONS = 30
"""Conjugate-gradient iterations of the least-squares dictionary update."""
RIDGE = 1e-4
"""Ridge added to C.T C so that atoms no sample uses keep a defined update."""
CODE_RIDGE = 1e-5
"""Ridge added to the Gram matrix of a sample's chosen atoms (unit norm), so that a repeated
atom leaves the code defined; it shifts the coefficients by about this much, relatively."""
ORDINARY_SCALE = 2.0**8
"""mod codes a sample whose RMS row norm lies within [1 / this, this] as it is. Its ridges are
absolute and its conjugate gradients raise the data's scale to the sixth power, which
overflows float32 for data far larger than 1; a sample outside the range is divided by the
power of two nearest its RMS norm (exactly; the atoms are directions, whatever the scale)."""


def check_omp_k(k: int, n_atoms: int) -> None:
    """Refuse more atoms per sample (--omp-k) than the dictionary holds."""
    if k > n_atoms:
        raise ConfigError("omp-k", f"is {k}, more than the {n_atoms} atoms of the dictionary")


def unsolvable(option: str, what: str, x: torch.Tensor) -> ConfigError:
    """The one-line error for a least-squares problem float32 could not solve."""
    largest = x.abs().max().item() if x.numel() else 0.0
    return ConfigError(
        option,
        f"{what} could not be solved in float32 at the data's scale (largest |x| "
        f"{largest:.3g}); rescale the data (for toy data: a lower --coef-max) or choose "
        f"another --{option}",
    )


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


class SparseCodes(NamedTuple):
    support: torch.Tensor
    """Atom indices [N, k] chosen for each sample."""
    coef: torch.Tensor
    """Their coefficients [N, k]."""
    residual: torch.Tensor
    """x minus its reconstruction [N, d]."""

    def matrix(self, n_atoms: int) -> torch.Tensor:
        """The codes as a sparse [N, n] matrix C."""
        rows = torch.arange(len(self.support)).repeat_interleave(self.support.shape[1])
        indices = torch.stack([rows, self.support.reshape(-1)])
        shape = (len(self.support), n_atoms)
        values = self.coef.reshape(-1)
        return torch.sparse_coo_tensor(indices, values, shape, check_invariants=False).coalesce()


def least_squares(basis: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Batched argmin_c ||basis c - target|| by the Cholesky factor of the (ridged) normal
    equations: reproducible at a fixed seed, where torch.linalg.lstsq's default CPU driver
    (gelsy) gave slightly different atoms from call to call, and as fast."""
    gram = basis.transpose(1, 2) @ basis
    gram.diagonal(dim1=1, dim2=2).add_(CODE_RIDGE)
    return torch.cholesky_solve(basis.transpose(1, 2) @ target, torch.linalg.cholesky(gram))


def matching_pursuit(
    x: torch.Tensor, atoms: torch.Tensor, k: int, option: str = "init"
) -> SparseCodes:
    """Orthogonal matching pursuit of every row of x with k atoms; a solve that fails (data
    at a scale float32 cannot code) is a ConfigError naming `option`."""
    try:
        return _matching_pursuit(x, atoms, k)
    except torch.linalg.LinAlgError as err:
        raise unsolvable(option, "the matching pursuit", x) from err


def _matching_pursuit(x: torch.Tensor, atoms: torch.Tensor, k: int) -> SparseCodes:
    chunk_size = max(256, CODING_BUDGET // len(atoms))
    supports, coefs, residuals = [], [], []
    for chunk in x.split(chunk_size):
        support = torch.empty(len(chunk), 0, dtype=torch.long)
        residual, coef = chunk, torch.empty(len(chunk), 0, 1)
        for _ in range(min(k, len(atoms))):
            scores = (residual @ atoms.T).scatter_(1, support, float("-inf"))
            support = torch.cat([support, scores.argmax(dim=1, keepdim=True)], dim=1)
            basis = atoms[support].transpose(1, 2)  # [chunk, d, s]
            coef = least_squares(basis, chunk.unsqueeze(2))
            residual = chunk - (basis @ coef).squeeze(2)
        supports.append(support)
        coefs.append(coef.squeeze(2))
        residuals.append(residual)
    return SparseCodes(torch.cat(supports), torch.cat(coefs), torch.cat(residuals))


def optimal_directions(codes: SparseCodes, x: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
    """The least-squares dictionary D = argmin ||x - C D||^2 (+ a small ridge), by conjugate
    gradients on the sparse normal equations C.T C D = C.T x from `start`: linear in the sample
    size, where the direct solve of MOD is cubic in the atom count."""
    C = codes.matrix(len(start))
    Ct = C.t().coalesce()
    with warnings.catch_warnings():  # torch notes that its sparse CSR support is in beta
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
        gram, target = torch.sparse.mm(Ct, C), torch.sparse.mm(Ct, x)

    def normal_operator(D: torch.Tensor) -> torch.Tensor:
        return torch.sparse.mm(gram, D) + RIDGE * D

    solution = start.clone()
    residual = target - normal_operator(solution)
    direction = residual.clone()
    power = residual.pow(2).sum(dim=0)  # one conjugate-gradient system per column of D
    for _ in range(CG_ITERATIONS):
        image = normal_operator(direction)
        step = power / (direction * image).sum(dim=0).clamp_min(1e-30)
        solution += step * direction
        residual -= step * image
        new_power = residual.pow(2).sum(dim=0)
        direction = residual + (new_power / power.clamp_min(1e-30)) * direction
        power = new_power
    return solution


def mod_step(x: torch.Tensor, atoms: torch.Tensor, k: int) -> torch.Tensor:
    """One round: code, solve for the least-squares dictionary, re-seed unused or duplicate
    atoms with the residuals of the worst-explained samples."""
    codes = matching_pursuit(x, atoms, k)
    updated = normalize_rows(optimal_directions(codes, x, atoms))
    unused = torch.bincount(codes.support.reshape(-1), minlength=len(atoms)) < 2
    duplicate = _duplicates(updated)
    replace = (unused | duplicate).nonzero().squeeze(1)
    worst = torch.argsort(codes.residual.norm(dim=1), descending=True)[: len(replace)]
    updated[replace[: len(worst)]] = normalize_rows(codes.residual[worst])
    return updated


def _duplicates(atoms: torch.Tensor) -> torch.Tensor:
    """Atoms within DUPLICATE_COSINE of an earlier atom, found in blocks of rows."""
    duplicate = torch.zeros(len(atoms), dtype=torch.bool)
    block = max(1, CODING_BUDGET // len(atoms))
    for start in range(0, len(atoms), block):
        similarity = atoms[start : start + block] @ atoms.T
        rows = torch.arange(start, start + len(similarity))
        later = torch.arange(len(atoms))[None, :] > rows[:, None]
        duplicate |= ((similarity > DUPLICATE_COSINE) & later).any(dim=0)
    return duplicate


def modes(request: InitRequest) -> InitWeights:
    sample = init_sample(request)
    return InitWeights(modes_dictionary(sample, request.n_atoms, request.generator))


def mod(request: InitRequest) -> InitWeights:
    check_omp_k(request.config.omp_k, request.n_atoms)
    drawn = init_sample(request)
    scale = ordinary_scale(drawn)
    sample = drawn / scale if scale != 1.0 else drawn
    atoms = modes_dictionary(sample, request.n_atoms, request.generator)
    try:
        for _ in range(request.config.mod_iters):
            atoms = mod_step(sample, atoms, request.config.omp_k)
    except ConfigError as err:  # name the data's own scale, not the rescaled one
        raise unsolvable("init", "the mod init", drawn) from err
    if not torch.isfinite(atoms).all():
        raise unsolvable("init", "the mod init", drawn)
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
