"""How well a learned dictionary recovers known ground-truth features."""

from __future__ import annotations

import torch

from saeinit.tensors import normalize_rows


def cosine_matrix(features: torch.Tensor, atoms: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every ground-truth feature [G, d] with every atom [n, d]: [G, n]."""
    return normalize_rows(features.float()) @ normalize_rows(atoms.float()).T


def max_cosines(features: torch.Tensor, atoms: torch.Tensor) -> torch.Tensor:
    """For each ground-truth feature, its best cosine with any atom [G]."""
    return cosine_matrix(features, atoms).amax(dim=1)


def mmcs(features: torch.Tensor, atoms: torch.Tensor) -> float:
    """Mean max cosine similarity, the seed post's metric (signed cosines, as the reference)."""
    return max_cosines(features, atoms).mean().item()


def recovered_fraction(features: torch.Tensor, atoms: torch.Tensor, threshold: float) -> float:
    """Fraction of ground-truth features whose best cosine with an atom is >= threshold."""
    return (max_cosines(features, atoms) >= threshold).float().mean().item()


def live_max_cosines(cosines: torch.Tensor, acts: torch.Tensor) -> torch.Tensor:
    """For each ground-truth feature, its best cosine with the atom of a latent that fires on
    it [G]: `cosines` [G, n] from `cosine_matrix`, `acts` [G, n] the latents' activations on
    each feature presented alone (row i: the input c * f_i). A latent fires when its activation
    is > 0; a feature on which none fires scores 0."""
    best = torch.where(acts > 0, cosines, -torch.inf).amax(dim=1)
    return best.masked_fill(best == -torch.inf, 0.0)


def live_mmcs(features: torch.Tensor, atoms: torch.Tensor, acts: torch.Tensor) -> float:
    """Live MMCS: MMCS counting only the atoms of the latents that fire when the feature is
    there (`live_max_cosines`), so that an atom which matches a feature but whose latent never
    fires on it does not count as recovering it."""
    return live_max_cosines(cosine_matrix(features, atoms), acts).mean().item()


def recovery_summary(
    features: torch.Tensor,
    atoms: torch.Tensor,
    acts: torch.Tensor | None = None,
    *,
    with_mcc: bool = False,
) -> dict[str, float]:
    """MMCS and the fractions recovered at 0.9 and 0.99, from one cosine matrix; with `acts`
    (the latents' activations on each feature presented alone, as `live_max_cosines` takes
    them), live MMCS beside MMCS; with `with_mcc`, MCC too (a matching cubic in the sizes)."""
    cosines = cosine_matrix(features, atoms)
    best = cosines.amax(dim=1)
    summary = {"mmcs": best.mean().item()}
    if acts is not None:
        summary["live_mmcs"] = live_max_cosines(cosines, acts).mean().item()
    if with_mcc:
        summary["mcc"] = _hungarian_mean(cosines.abs())
    return summary | {
        "recovered_0.9": (best >= 0.9).float().mean().item(),
        "recovered_0.99": (best >= 0.99).float().mean().item(),
    }


def mcc(features: torch.Tensor, atoms: torch.Tensor) -> float:
    """Mean |cosine| over a one-to-one Hungarian matching of features and atoms, as SAELens'
    synthetic benchmark reports it: min(G, n) pairs are matched."""
    return _hungarian_mean(cosine_matrix(features, atoms).abs())


def _hungarian_mean(similarity: torch.Tensor) -> float:
    values = similarity.cpu().numpy()
    from scipy.optimize import linear_sum_assignment  # loaded on first use: the CLI starts faster

    rows, cols = linear_sum_assignment(values, maximize=True)
    return float(values[rows, cols].mean())


def seed_mmcs(atoms_a: torch.Tensor, atoms_b: torch.Tensor) -> float:
    """MMCS between two learned dictionaries (e.g. of two seeds), the proxy for feature
    recovery without ground truth (Sharkey et al.): the mean over the atoms of each of its
    best cosine with the other's, averaged both ways (symmetric)."""
    cosines = cosine_matrix(atoms_a, atoms_b)
    return (cosines.amax(dim=1).mean().item() + cosines.amax(dim=0).mean().item()) / 2
