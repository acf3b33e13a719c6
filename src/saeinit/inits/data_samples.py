"""The `data` init (atoms are data samples) and the sample steps the informed inits share."""

from __future__ import annotations

import torch

from saeinit.config import ConfigError
from saeinit.inits.request import (
    InitRequest,
    InitWeights,
    draw_sample,
)
from saeinit.tensors import normalize_rows


def init_sample(request: InitRequest) -> torch.Tensor:
    """The init sample (--init-samples rows, fewer if the data holds fewer), finite, without
    all-zero rows, which have no direction to offer an atom."""
    sample = draw_sample(request)
    return sample[sample.norm(dim=1) > 0]


def pick_rows(sample: torch.Tensor, k: int, generator: torch.Generator, what: str) -> torch.Tensor:
    """k distinct rows of `sample`, chosen uniformly at random (by the CPU generator, wherever
    the sample is); `what` names who needs them."""
    if k > len(sample):
        raise ConfigError(
            "init-samples",
            f"{what} needs {k} distinct non-zero samples; the init sample has {len(sample)}",
        )
    return sample[torch.randperm(len(sample), generator=generator)[:k].to(sample.device)]


def data(request: InitRequest) -> InitWeights:
    rows = pick_rows(init_sample(request), request.n_atoms, request.generator, "the data init")
    return InitWeights(normalize_rows(rows))
