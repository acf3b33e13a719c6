"""Data-free baselines: torch's orthogonal init (the reference) and Xavier."""

from __future__ import annotations

import torch

from saeinit.inits.request import InitRequest, InitWeights


def _decoder_weight(request: InitRequest, init_fn) -> torch.Tensor:
    """Apply a torch.nn.init function to the d x n decoder weight, as the reference does, and
    return its columns as atoms [n, d] (made on the CPU by the CPU generator, so that a seed
    gives the same atoms on every device; `initialize` moves them)."""
    weight = torch.empty(request.dim, request.n_atoms)
    init_fn(weight, generator=request.generator)
    return weight.T.contiguous()


def orthogonal(request: InitRequest) -> InitWeights:
    return InitWeights(_decoder_weight(request, torch.nn.init.orthogonal_))


def xavier(request: InitRequest) -> InitWeights:
    return InitWeights(_decoder_weight(request, torch.nn.init.xavier_uniform_))
