"""Recovery metrics against ground truth, and activation metrics of an SAE."""

from saeinit.metrics.activity import dead_latents, fvu, l0
from saeinit.metrics.recovery import (
    cosine_matrix,
    live_max_cosines,
    live_mmcs,
    max_cosines,
    mcc,
    mmcs,
    recovered_fraction,
    recovery_summary,
    seed_mmcs,
)

__all__ = [
    "cosine_matrix",
    "dead_latents",
    "fvu",
    "l0",
    "live_max_cosines",
    "live_mmcs",
    "max_cosines",
    "mcc",
    "mmcs",
    "recovered_fraction",
    "recovery_summary",
    "seed_mmcs",
]
