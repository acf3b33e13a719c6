"""Small tensor helpers shared by the inits, the metrics and the training loop."""

from __future__ import annotations

import torch


def normalize_rows(vectors: torch.Tensor) -> torch.Tensor:
    """Scale each row to unit L2 norm (zero rows stay zero)."""
    return vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)
