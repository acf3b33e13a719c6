"""The SynthSAEBench worlds saeinit knows by name, as SAELens' `SyntheticModelConfig.to_dict`
writes them (so a preset and a CONFIG.json are read the same way). No torch here."""

from __future__ import annotations

import copy

SYNTHSAEBENCH_16K: dict = {
    "num_features": 16_384,
    "hidden_dim": 768,
    "firing_probability": {
        "generator_name": "zipfian",
        "exponent": 0.5,
        "max_prob": 0.4,
        "min_prob": 5e-4,
    },
    "hierarchy": {
        "total_root_nodes": 128,
        "branching_factor": 4,
        "max_depth": 3,
        "mutually_exclusive_portion": 1.0,
        "mutually_exclusive_min_depth": 0,
        "compensate_probabilities": True,
        "scale_children_by_parent": True,
    },
    "orthogonalization": {"num_steps": 100, "lr": 3e-4},
    "correlation": {"rank": 25, "correlation_scale": 0.1},
    "mean_firing_magnitudes": {"generator_name": "linear", "start": 5.0, "end": 4.0},
    "std_firing_magnitudes": {"generator_name": "folded_normal", "mean": 0.5, "std": 0.5},
    "bias": 0.5,
    "seed": 42,
}
"""SynthSAEBench-16k (Chanin and Garriga-Alonso, 2026) as SAELens' docs build it: 16,384
features in 768 dimensions, hierarchy with mutually exclusive children scaled by their
parent, low-rank correlation, orthogonalised features, a bias of norm 0.5."""


def scaled_world(base: dict, features: int, dim: int, roots: int) -> dict:
    """`base` with another feature count, width and number of hierarchy roots, everything
    else equal: the same recipe at another size."""
    world = copy.deepcopy(base)
    world |= {"num_features": features, "hidden_dim": dim}
    world["hierarchy"]["total_root_nodes"] = roots
    return world


PRESETS: dict[str, dict] = {
    "synthsaebench-16k": SYNTHSAEBENCH_16K,
    "synthsaebench-4k": scaled_world(SYNTHSAEBENCH_16K, features=4096, dim=192, roots=32),
}
"""--synthetic NAME -> the world's configuration. synthsaebench-4k is SynthSAEBench-16k scaled
for a CPU: a quarter of the features in a quarter of the dimensions (the same features per
dimension), a quarter of the hierarchy's roots."""


def preset(name: str) -> dict:
    """A copy of the named preset's configuration (KeyError when unknown)."""
    return copy.deepcopy(PRESETS[name])
