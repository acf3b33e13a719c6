"""The step every rare init shares: mix round(rare-ratio * n) rare vectors into a base init.

A rare init (average, centroid, outliers, ...) only says how to collect `count` rare vectors. The
base init (--rare-base, `data` as in the seed post) is built through the registry with the
same request, and its last `count` atoms are replaced by the rare vectors; base inits that
order their atoms by importance (svd) so keep their most important ones. The rare method and
the base each draw their own init sample (--init-samples each; fresh samples on toy data, so
a data base does not repeat a rare vector). A base's encoder weights, if any, are not used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch

from saeinit.config import ConfigError
from saeinit.inits.registry import get
from saeinit.inits.request import InitRequest, InitWeights
from saeinit.tensors import normalize_rows

RareFn = Callable[[InitRequest, int], torch.Tensor]
"""(request, count) -> [count, d] rare vectors, not necessarily normalised."""


def rare_count(request: InitRequest) -> int:
    """How many atoms are rare vectors: round(rare-ratio * n)."""
    return round(request.config.rare_ratio * request.n_atoms)


def base_atoms(request: InitRequest) -> torch.Tensor:
    """The atoms of the --rare-base init, built with the same request and generator."""
    config = request.config
    spec = get(config.rare_base)
    if spec.uses_base:
        raise ConfigError("rare-base", f"{spec.name!r} mixes in rare vectors itself")
    sub_request = dataclasses.replace(request, config=dataclasses.replace(config, init=spec.name))
    return normalize_rows(spec.fn(sub_request).W_dec.float())


def mix_rare(request: InitRequest, method: str, collect: RareFn) -> InitWeights:
    """Collect the rare vectors with `collect` and put them in place of the base's last atoms."""
    n, ratio = request.n_atoms, request.config.rare_ratio
    count = rare_count(request)
    if count == 0:
        raise ConfigError(
            "rare-ratio",
            f"round({ratio} * {n} atoms) = 0 rare vectors, and {method} needs at least one: "
            f"use a ratio above {0.5 / n:.3g}, or --init {request.config.rare_base} for no rare "
            "vectors",
        )
    rare = normalize_rows(collect(request, count).float())
    if tuple(rare.shape) != (count, request.dim):
        raise RuntimeError(f"{method} collected {tuple(rare.shape)} rare vectors, not {count}")
    if count == n:
        return InitWeights(rare)
    return InitWeights(torch.cat([base_atoms(request)[: n - count], rare]))
