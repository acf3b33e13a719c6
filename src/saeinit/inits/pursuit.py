"""Batched orthogonal matching pursuit, and its codes as a sparse matrix.

Each sample is coded with k atoms, picked one at a time: the atom most correlated with what
the atoms picked so far leave unexplained (the residual), whose coefficients are then refitted
by least squares. It runs on the device of the data, a chunk of samples at a time.

Correlating every residual with every atom at each of the k steps costs k products of the
sample with the whole dictionary. With `candidates` set and a dictionary of more than
SEARCH_WHOLE times as many atoms, each sample's atoms are picked among the `candidates` atoms
its sample correlates with most: one product with the dictionary instead of k. The picks are
the same wherever the atoms of the code were among them; a large dictionary in few dimensions
holds atoms that only the residual reveals, so codes can differ there (docs/performance.md
measures what that does to mod). A smaller dictionary is searched whole, also after one
product: the steps run in the atoms' space, on the rows of its Gram matrix (GRAM_ENTRIES), the
same picks up to rounding. --omp-candidates 0 recomputes the residual's correlations with the
whole dictionary at every step: the reference.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from saeinit.config import ConfigError
from saeinit.inits.chunks import row_chunks
from saeinit.inits.screening import GATHERED_ENTRIES, candidate_steps, screened_codes

SEARCH_WHOLE = 32
"""A dictionary of at most this many times the candidates is searched whole at every step:
there the whole search costs at most about twice the screening, and it is exact."""
GRAM_ENTRIES = 2**22
"""Entries of the largest atoms x atoms Gram matrix the whole search precomputes (16 MiB in
float32: dictionaries of up to 2,048 atoms); a larger dictionary searched whole recomputes the
residual's correlations at every step, as --omp-candidates 0 does."""
CODE_RIDGE = 1e-5
"""Ridge added to the Gram matrix of a sample's chosen atoms (unit norm), so that a repeated
atom leaves the code defined; it shifts the coefficients by about this much, relatively."""


class SparseCodes(NamedTuple):
    support: torch.Tensor
    """Atom indices [N, k] chosen for each sample, in the order they were picked."""
    coef: torch.Tensor
    """Their coefficients [N, k]."""
    residual: torch.Tensor
    """x minus its reconstruction [N, d]."""


class CodeMatrix:
    """The codes as the sparse [N, n] matrix C, applied by gathering rows (embedding_bag):
    C D and C.T y read N x k entries, and nothing N x n is built. With `drop_zeros`, entries
    whose coefficient is 0 are left out (codes that keep fewer than k atoms in most samples),
    so they cost nothing; that needs data-dependent shapes, which a meta tensor lacks."""

    def __init__(self, codes: SparseCodes, n_atoms: int, drop_zeros: bool = False):
        support, coef = codes.support, codes.coef
        counts = torch.full((len(support),), support.shape[1], device=support.device)
        if drop_zeros:
            kept = coef != 0
            support, coef, counts = support[kept], coef[kept], kept.sum(dim=1)
        self.atoms, self.coef = support.reshape(-1), coef.reshape(-1)  # sample by sample
        self.starts = torch.cumsum(counts, 0) - counts  # where each sample's entries start
        order = torch.argsort(self.atoms, stable=True)  # the entries grouped by atom
        samples = torch.arange(len(counts), device=counts.device)
        samples = samples.repeat_interleave(counts, output_size=len(self.atoms))
        self.samples, self.weights = samples[order], self.coef[order]
        first = torch.arange(n_atoms, device=self.atoms.device)
        self.offsets = torch.searchsorted(self.atoms[order], first)

    def times(self, D: torch.Tensor) -> torch.Tensor:
        """C D [N, d] for D [n, d]."""
        return F.embedding_bag(self.atoms, D, self.starts, per_sample_weights=self.coef, mode="sum")

    def transposed_times(self, y: torch.Tensor) -> torch.Tensor:
        """C.T y [n, m] for y [N, m]; an atom no sample uses gets a row of zeros."""
        return F.embedding_bag(
            self.samples, y, self.offsets, per_sample_weights=self.weights, mode="sum"
        )

    def squared_norms(self) -> torch.Tensor:
        """The diagonal of C.T C [n]: each atom's sum of squared coefficients."""
        pairs = torch.arange(len(self.weights), device=self.weights.device)
        return F.embedding_bag(
            pairs, self.weights[:, None], self.offsets, per_sample_weights=self.weights, mode="sum"
        ).squeeze(1)


def check_omp_k(k: int, n_atoms: int, option: str = "omp-k") -> None:
    """Refuse more atoms per sample (--omp-k, or `option`) than the dictionary holds."""
    if k > n_atoms:
        raise ConfigError(option, f"is {k}, more than the {n_atoms} atoms of the dictionary")


def unsolvable(option: str, what: str, x: torch.Tensor) -> ConfigError:
    """The one-line error for a least-squares problem float32 could not solve."""
    largest = x.abs().max().item() if x.numel() else 0.0
    return ConfigError(
        option,
        f"{what} could not be solved in float32 at the data's scale (largest |x| "
        f"{largest:.3g}); rescale the data (for toy data: a lower --coef-max) or choose "
        f"another --{option}",
    )


def least_squares(basis: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Batched argmin_c ||basis c - target|| by the Cholesky factor of the (ridged) normal
    equations: reproducible at a fixed seed, where torch.linalg.lstsq's default CPU driver
    (gelsy) gave slightly different atoms from call to call, and as fast."""
    gram = basis.transpose(1, 2) @ basis
    gram.diagonal(dim1=1, dim2=2).add_(CODE_RIDGE)
    return torch.cholesky_solve(basis.transpose(1, 2) @ target, torch.linalg.cholesky(gram))


def matching_pursuit(
    x: torch.Tensor, atoms: torch.Tensor, k: int, candidates: int = 0, option: str = "init"
) -> SparseCodes:
    """Orthogonal matching pursuit of every row of x [N, d] with k of `atoms` [n, d], on their
    device; with candidates > 0 (at least k), each sample's atoms are picked among the
    `candidates` it correlates with most in a dictionary of more than SEARCH_WHOLE times as
    many atoms (the module docstring says why). A solve that fails (data at a scale float32
    cannot code) is a ConfigError naming `option`."""
    try:
        return _pursue(x, atoms, k, candidates)
    except torch.linalg.LinAlgError as err:
        raise unsolvable(option, "the matching pursuit", x) from err


def _pursue(x: torch.Tensor, atoms: torch.Tensor, k: int, candidates: int) -> SparseCodes:
    chunks = row_chunks(x, len(atoms))
    if candidates and len(atoms) > SEARCH_WHOLE * candidates:
        parts = screened_codes(chunks, atoms, k, candidates, CODE_RIDGE)
    elif candidates and len(atoms) ** 2 <= GRAM_ENTRIES:
        gram = atoms @ atoms.T
        parts = [_code_in_gram(chunk, atoms, gram, k) for chunk in chunks]
    else:
        parts = [_code(chunk, atoms, k) for chunk in chunks]
    return SparseCodes(*(torch.cat(columns) for columns in zip(*parts, strict=True)))


def _code_in_gram(
    chunk: torch.Tensor, atoms: torch.Tensor, gram: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """k steps of matching pursuit of the rows of `chunk` among all atoms, in the atoms' space:
    the rows' correlations with the atoms are computed once, and at each step the residual's
    are those minus the picked atoms' rows of the Gram matrix `gram` weighted by their
    coefficients (the screened search's steps with every atom a candidate), so a step costs
    no product with the dictionary. Parts of the chunk keep their picked Gram rows within
    GATHERED_ENTRIES. The support, coefficients and residual."""
    alpha = chunk @ atoms.T
    rows = max(1, GATHERED_ENTRIES // (max(k, 1) * len(atoms)))

    def gram_row(pick: torch.Tensor) -> torch.Tensor:
        return gram.index_select(0, pick.squeeze(1))

    parts = []
    for part, scores in zip(chunk.split(rows), alpha.split(rows), strict=True):
        picks, coef = candidate_steps(scores, gram_row, k, CODE_RIDGE)
        chosen = atoms.index_select(0, picks.reshape(-1)).view(*picks.shape, -1)
        parts.append((picks, coef, part - torch.bmm(coef.unsqueeze(1), chosen).squeeze(1)))
    return tuple(torch.cat(columns) for columns in zip(*parts, strict=True))


def _code(
    chunk: torch.Tensor, atoms: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """k steps of matching pursuit of the rows of `chunk` among all atoms: the support,
    coefficients and residual."""
    steps = min(k, len(atoms))
    support = torch.empty(len(chunk), 0, dtype=torch.long, device=chunk.device)
    chosen = torch.empty(len(chunk), steps, chunk.shape[1], device=chunk.device)  # their atoms
    residual, coef = chunk, torch.empty(len(chunk), 0, 1, device=chunk.device)
    for step in range(steps):
        scores = (residual @ atoms.T).scatter_(1, support, -torch.inf)
        pick = scores.argmax(dim=1)
        support = torch.cat([support, pick.unsqueeze(1)], dim=1)
        chosen[:, step] = atoms.index_select(0, pick)
        basis = chosen[:, : step + 1].contiguous().transpose(1, 2)  # [c, d, s]
        coef = least_squares(basis, chunk.unsqueeze(2))
        residual = chunk - (basis @ coef).squeeze(2)
    return support, coef.squeeze(2), residual
