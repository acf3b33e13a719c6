"""Telling a collapsed run from a finished one (no torch import here: the command line maps
`TrainingCollapsed` to its exit code without loading torch).

A run whose latents stop firing does not explode, so the divergence check lets it through:
its loss settles at the error of reconstructing every sample by b_dec, and it ends at its
budget like a good run. The end of every run is checked for the two signs of it: almost no
latent firing on the held-out sample, and, where the data has ground truth, live MMCS falling
to 0: no latent firing on any feature presented alone, where some did at the start. (A
synthetic world's features come at magnitudes of several units, so an SAE fitted to them can
rightly fire on none presented at unit norm: live MMCS 0 from the start is no collapse.)"""

from __future__ import annotations

COLLAPSED_L0 = 0.1
"""A run has collapsed when its mean L0 on the held-out sample is below this: fewer than one
latent fires on every ten samples, so nearly every sample is reconstructed by b_dec alone. An
SAE that reconstructs anything fires at least one latent on most samples."""


class TrainingCollapsed(RuntimeError):
    """A run ended collapsed (`collapse`) and `allow_collapse` was not set."""


def collapse(first: dict, last: dict, step: int, d_sae: int) -> str | None:
    """Why the SAE of history row `last` (at `step`) has collapsed, or None when it has not;
    `first` is the row of the start, which the message compares with."""
    if last["l0"] < COLLAPSED_L0:
        reason = (
            f"L0 {last['l0']:.3g} on the held-out sample (below {COLLAPSED_L0:g}: almost no "
            f"latent fires), {last['dead']} of {d_sae} latents dead"
        )
    elif last.get("live_mmcs") == 0 and first.get("live_mmcs"):
        reason = (
            f"live MMCS {first['live_mmcs']:.3g} -> 0: no latent fires on any ground-truth "
            "feature presented alone"
        )
    else:
        return None
    return (
        f"by step {step} the SAE had collapsed: {reason}, FVU {last['fvu']:.3g} (from "
        f"{first['fvu']:.3g}); lower --lr, or check the sparsity and encoder-init settings"
    )


def check_collapse(result: dict) -> None:
    """Raise TrainingCollapsed for a collapsed run's result unless its settings allow it."""
    if result.get("collapsed") and not result["config"]["train"]["allow_collapse"]:
        raise TrainingCollapsed(
            f"{result['collapsed']}; the result is marked collapsed (give --allow-collapse to "
            "keep such a run with exit code 0)"
        )
