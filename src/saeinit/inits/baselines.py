"""Data-free baselines: torch's orthogonal init (the reference), Xavier, and SAELens' default."""

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


def saelens(request: InitRequest) -> InitWeights:
    """SAELens' default decoder: torch's kaiming-uniform init of the n x d decoder weight, one
    row per atom (SAELens then scales the rows to its decoder_init_norm; the atoms here are
    normalised, as every init's are)."""
    weight = torch.empty(request.n_atoms, request.dim)
    torch.nn.init.kaiming_uniform_(weight, generator=request.generator)
    return InitWeights(weight)
