"""Metrics of an SAE's activations and reconstructions on a data sample."""

from __future__ import annotations

import torch


def l0(acts: torch.Tensor) -> float:
    """Mean number of active latents per sample."""
    return (acts > 0).sum(dim=1).float().mean().item()


def dead_latents(acts: torch.Tensor) -> int:
    """Number of latents that never activate on the sample."""
    return int((~(acts > 0).any(dim=0)).sum().item())


def fvu(x: torch.Tensor, x_hat: torch.Tensor) -> float:
    """Fraction of variance unexplained: ||x - x_hat||^2 / ||x - mean(x)||^2."""
    residual = (x - x_hat).pow(2).sum()
    total = (x - x.mean(dim=0)).pow(2).sum().clamp_min(1e-30)
    return (residual / total).item()
