"""The `average` rare init: a random sample minus the mean of its batch."""

from __future__ import annotations

import torch

from saeinit.inits.data_samples import init_sample, pick_rows
from saeinit.inits.rare import mix_rare
from saeinit.inits.request import InitRequest, InitWeights


def average_vectors(request: InitRequest, count: int) -> torch.Tensor:
    """`count` distinct random samples of the init sample (the batch), each minus its mean."""
    sample = init_sample(request)
    return pick_rows(sample, count, request.generator, "average") - sample.mean(dim=0)


def average(request: InitRequest) -> InitWeights:
    return mix_rare(request, "average", average_vectors)
