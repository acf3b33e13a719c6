"""Matching pursuit among each sample's candidate atoms (`pursuit.py` says when and why).

A chunk of samples is correlated with the whole dictionary once; each sample keeps the
`candidates` atoms it correlates with most, and its k atoms are picked among those. The steps
run in the candidates' space: from the sample's correlations with its candidates (alpha) and
the correlations of each picked atom with them, the residual's correlations are alpha minus
those rows weighted by the coefficients, and the least squares of the picked atoms read their
Gram matrix from the same rows. A step then costs one row of candidate correlations per sample,
and the residual is formed once, at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

GROUP = 32
"""Columns of the correlations per group in the search for a sample's candidates."""
GATHERED_ENTRIES = 2**22
"""Entries of the candidate atoms a CPU gathers at once (16 MiB in float32: a cache's worth)."""


def screened_codes(
    chunks: tuple[torch.Tensor, ...], atoms: torch.Tensor, k: int, candidates: int, ridge: float
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """For the rows of each chunk [c, d] (the largest first), in parts: k atoms [c, k] of
    `atoms`, picked among the row's `candidates` most correlated ones, their coefficients
    [c, k] (least squares with `ridge` on the Gram matrix of the picked atoms) and the
    residuals [c, d]. A CPU codes parts whose candidate atoms hold GATHERED_ENTRIES, so that
    they stay in its cache while each step re-reads them; a GPU codes a chunk whole. The
    correlations and the gathered atoms go into buffers reused from part to part (fresh ones
    would cost their page faults each time on a CPU)."""
    dim = atoms.shape[1]
    per_part = GATHERED_ENTRIES // (candidates * dim)
    rows = len(chunks[0]) if atoms.is_cuda else max(1, min(per_part, len(chunks[0])))
    correlations = torch.empty(len(chunks[0]), len(atoms), device=atoms.device)
    gathered = torch.empty(rows * candidates, dim, device=atoms.device)
    codes = []
    for chunk in chunks:
        scores = torch.mm(chunk, atoms.T, out=correlations[: len(chunk)])
        alpha, ids = most_correlated(scores, candidates)
        with one_thread():
            for part in zip(chunk.split(rows), alpha.split(rows), ids.split(rows), strict=True):
                screened = gathered[: part[2].numel()]
                torch.index_select(atoms, 0, part[2].reshape(-1), out=screened)
                codes.append(_code(*part, screened.view(*part[2].shape, dim), k, ridge))
    return codes


@contextmanager
def one_thread() -> Iterator[None]:
    """torch on one CPU thread within: a part's operations are too small to share between
    threads, and shared with a core another process holds, each waits for that core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def most_correlated(scores: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row's `count` largest scores and their columns [c, count]. They lie in the `count`
    groups of GROUP consecutive columns with the largest maxima (or in the columns after the
    last whole group), so the top `count` is sought there: a few times faster than over all."""
    rows, width = scores.shape
    groups = width // GROUP
    if groups <= count:
        return scores.topk(count, dim=1)
    grouped = scores[:, : groups * GROUP].view(rows, groups, GROUP)
    best = grouped.amax(dim=2).topk(count, dim=1).indices  # [c, count]
    in_best = grouped.gather(1, best.unsqueeze(2).expand(-1, -1, GROUP)).flatten(1)
    values, found = torch.cat([in_best, scores[:, groups * GROUP :]], dim=1).topk(count, dim=1)
    group = best.gather(1, torch.div(found, GROUP, rounding_mode="floor").clamp_max(count - 1))
    in_groups = group * GROUP + found % GROUP
    return values, torch.where(found < count * GROUP, in_groups, found + (groups - count) * GROUP)


def _code(
    chunk: torch.Tensor,
    alpha: torch.Tensor,
    ids: torch.Tensor,
    screened: torch.Tensor,
    k: int,
    ridge: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """k steps of matching pursuit of the rows of `chunk` among their candidates `screened`
    [c, candidates, d] (indices `ids`, correlations with the rows `alpha`), in the candidates'
    space (the module docstring says how). Returns the support, coefficients and residual."""
    width = ids.shape[1]
    flat = screened.view(-1, screened.shape[2])  # row r's candidate j is row r * width + j
    first = torch.arange(len(chunk), device=chunk.device).unsqueeze(1) * width

    def gram_row(pick: torch.Tensor) -> torch.Tensor:
        new = flat.index_select(0, (first + pick).squeeze(1)).unsqueeze(1)  # [c, 1, d]
        return torch.bmm(new, screened.transpose(1, 2)).squeeze(1)

    picks, coef = candidate_steps(alpha, gram_row, k, ridge)
    chosen = flat.index_select(0, (first + picks).reshape(-1)).view(*picks.shape, -1)
    residual = chunk - torch.bmm(coef.unsqueeze(1), chosen).squeeze(1)
    return ids.gather(1, picks), coef, residual


def candidate_steps(
    alpha: torch.Tensor, gram_row: Callable[[torch.Tensor], torch.Tensor], k: int, ridge: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """k steps of matching pursuit in the space of each row's candidates: `alpha` [c, w] holds
    the rows' correlations with their w candidates, `gram_row(pick [c, 1])` the correlations
    [c, w] of each row's picked candidate with its candidates. Returns the picks (columns of
    alpha, in the order picked) and their coefficients, both [c, min(k, w)]."""
    steps, width = min(k, alpha.shape[1]), alpha.shape[1]
    picks = torch.empty(len(alpha), steps, dtype=torch.long, device=alpha.device)
    grams = torch.empty(len(alpha), steps, width, device=alpha.device)  # picks x candidates
    explained = torch.empty(len(alpha), 1, width, device=alpha.device)
    scores, coef = alpha.clone(), torch.empty(len(alpha), 0, device=alpha.device)
    for step in range(steps):
        pick = scores.scatter_(1, picks[:, :step], -torch.inf).argmax(dim=1, keepdim=True)
        picks[:, step : step + 1] = pick
        grams[:, step] = gram_row(pick)
        known, chosen = grams[:, : step + 1], picks[:, : step + 1]  # [c, s, candidates], [c, s]
        gram = known.gather(2, chosen.unsqueeze(1).expand(-1, step + 1, -1))  # [c, s, s]
        gram.diagonal(dim1=1, dim2=2).add_(ridge)
        target = alpha.gather(1, chosen).unsqueeze(2)
        coef = torch.cholesky_solve(target, torch.linalg.cholesky(gram)).squeeze(2)
        torch.sub(alpha, torch.bmm(coef.unsqueeze(1), known, out=explained).squeeze(1), out=scores)
    return picks, coef
