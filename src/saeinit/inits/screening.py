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

from collections.abc import Iterator

import torch

GROUP = 32
"""Columns of the correlations per group in the search for a sample's candidates."""
GATHERED_ENTRIES = 2**22
"""Entries of the candidate atoms a CPU gathers at once (16 MiB in float32: a cache's worth)."""


def screened_codes(
    chunk: torch.Tensor, atoms: torch.Tensor, k: int, candidates: int, ridge: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """k atoms [c, k] of `atoms` for each row of `chunk` [c, d], picked among its
    `candidates` most correlated ones, their coefficients [c, k] (least squares with `ridge` on
    the Gram matrix of the picked atoms) and the residuals [c, d]."""
    parts = [_code(*part, k, ridge) for part in _parts(chunk, atoms, candidates)]
    return tuple(torch.cat(columns) for columns in zip(*parts, strict=True))


def _parts(
    chunk: torch.Tensor, atoms: torch.Tensor, candidates: int
) -> Iterator[tuple[torch.Tensor, ...]]:
    """(rows, their correlations with their candidates [c, candidates], the candidates'
    indices, the candidate atoms [c, candidates, d]) of the chunk, in parts: on a CPU, parts
    whose atoms hold GATHERED_ENTRIES, so that they stay in its cache while each step re-reads
    them, gathered into one buffer (consume a part before asking for the next); on a GPU, the
    chunk whole."""
    alpha, ids = most_correlated(chunk @ atoms.T, candidates)
    per_part = GATHERED_ENTRIES // (candidates * chunk.shape[1])
    rows = len(chunk) if chunk.is_cuda else max(1, min(per_part, len(chunk)))
    buffer = torch.empty(rows * candidates, chunk.shape[1], device=chunk.device)
    for part in zip(chunk.split(rows), alpha.split(rows), ids.split(rows), strict=True):
        gathered = buffer[: part[2].numel()]
        torch.index_select(atoms, 0, part[2].reshape(-1), out=gathered)
        yield *part, gathered.view(*part[2].shape, -1)


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
    within = torch.arange(GROUP, device=scores.device)
    tail = torch.arange(groups * GROUP, width, device=scores.device)
    columns = torch.cat([(best.unsqueeze(2) * GROUP + within).flatten(1), tail.expand(rows, -1)], 1)
    in_best = grouped.gather(1, best.unsqueeze(2).expand(-1, -1, GROUP)).flatten(1)
    values, found = torch.cat([in_best, scores[:, groups * GROUP :]], dim=1).topk(count, dim=1)
    return values, columns.gather(1, found)


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
    steps = min(k, ids.shape[1])
    picks = torch.empty(len(chunk), 0, dtype=torch.long, device=chunk.device)
    grams = torch.empty(len(chunk), steps, ids.shape[1], device=chunk.device)  # picks x candidates
    rows = torch.arange(len(chunk), device=chunk.device)
    scores, coef = alpha.clone(), torch.empty(len(chunk), 0, device=chunk.device)
    for step in range(steps):
        pick = scores.scatter_(1, picks, -torch.inf).argmax(dim=1)
        picks = torch.cat([picks, pick.unsqueeze(1)], dim=1)
        new = screened[rows, pick].unsqueeze(1)  # [c, 1, d]
        grams[:, step] = torch.bmm(new, screened.transpose(1, 2)).squeeze(1)
        known = grams[:, : step + 1]  # [c, s, candidates]
        gram = known.gather(2, picks.unsqueeze(1).expand(-1, step + 1, -1))  # [c, s, s]
        gram.diagonal(dim1=1, dim2=2).add_(ridge)
        target = alpha.gather(1, picks).unsqueeze(2)
        coef = torch.cholesky_solve(target, torch.linalg.cholesky(gram)).squeeze(2)
        scores = alpha - torch.bmm(coef.unsqueeze(1), known).squeeze(1)
    chosen = screened[rows.unsqueeze(1), picks]  # [c, s, d]
    residual = chunk - torch.bmm(coef.unsqueeze(1), chosen).squeeze(1)
    return ids.gather(1, picks), coef, residual
