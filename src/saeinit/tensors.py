"""Small tensor helpers shared by the inits, the metrics and the training loop."""

from __future__ import annotations

import math
import time

import torch


def normalize_rows(vectors: torch.Tensor) -> torch.Tensor:
    """Scale each row to unit L2 norm (zero rows stay zero)."""
    return vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)


def all_finite(values: torch.Tensor) -> bool:
    """Whether every value is finite, from one pass: a NaN makes both the min and the max NaN,
    and an infinity is one of them. (torch.isfinite builds boolean copies of the whole tensor
    first, which costs many times more on a large sample.)"""
    if values.numel() == 0:
        return True
    low, high = torch.aminmax(values)
    return math.isfinite(low.item()) and math.isfinite(high.item())


def non_finite_rows(values: torch.Tensor) -> int:
    """How many rows of `values` [n, d] hold a NaN or inf (counted only when `all_finite`
    finds one)."""
    if all_finite(values):
        return 0
    return int((~torch.isfinite(values)).any(dim=1).sum())


def elapsed(start: float, result: torch.Tensor) -> float:
    """Seconds since `start` (time.perf_counter), once the device has computed `result`
    (CUDA runs asynchronously)."""
    if result.device.type == "cuda":
        torch.cuda.synchronize(result.device)
    return time.perf_counter() - start
