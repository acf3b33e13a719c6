"""Data statistics an SAE is set up with before training: SAELens' input normalisation factor
and the decoder bias inits (zeros, mean, geometric median)."""

from __future__ import annotations

import torch

from saeinit.config import ConfigError


def norm_scaling_factor(sample: torch.Tensor) -> float:
    """sqrt(d) / mean ||x||: the factor that makes the mean norm sqrt(d), as SAELens'
    expected_average_only_in normalisation estimates it."""
    mean_norm = sample.float().norm(dim=1).mean().item()
    if not mean_norm > 0:
        raise ConfigError("normalize-activations", "the data sample has mean norm 0")
    return sample.shape[1] ** 0.5 / mean_norm


def geometric_median(
    points: torch.Tensor, iterations: int = 200, tol: float = 1e-6
) -> torch.Tensor:
    """The point minimising the sum of Euclidean distances to `points` (Weiszfeld's algorithm,
    started at the mean), as SAELens' geometric_median b_dec init."""
    points = points.double()
    median = points.mean(dim=0)
    for _ in range(iterations):
        weights = 1.0 / (points - median).norm(dim=1).clamp_min(1e-12)
        moved = (weights[:, None] * points).sum(dim=0) / weights.sum()
        shift = (moved - median).norm()
        median = moved
        if shift <= tol * median.norm().clamp_min(1.0):
            break
    return median.float()


def initial_b_dec(method: str, dim: int, sample: torch.Tensor | None) -> torch.Tensor:
    """The starting decoder bias of `method` (zeros, mean, geometric_median) from a sample."""
    if method == "zeros":
        return torch.zeros(dim)
    if sample is None or len(sample) == 0:
        raise ConfigError("b-dec", f"{method} needs a data sample")
    if method == "mean":
        return sample.float().mean(dim=0)
    if method == "geometric_median":
        return geometric_median(sample)
    raise ConfigError("b-dec", f"no b_dec init named {method!r}")
