"""The `outliers` rare init: the samples LocalOutlierFactor finds most outlying, and the step
every outlier-detector init shares (`most_outlying`).

The samples are ranked by their local outlier factor and the `count` most outlying are taken,
so LOF's `contamination` (which only sets the threshold of its yes/no labels) plays no part.
LOF finds the n_neighbors nearest neighbours of every sample, which is quadratic in the sample
size (benchmarks/lof_cost.py measures it). At the shared default sample size it would take a
noticeable share of a short training run, so outliers defaults to the smaller LOF_SAMPLES (see
the registry), still large enough to hold several samples of each rare feature. The detectors
(LOF here, IsolationForest in `isolation.py`) are scikit-learn's and run on a CPU copy of that
capped sample, whatever the init's device; the vectors they pick go back to the device.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from saeinit.config import ConfigError
from saeinit.inits.data_samples import init_sample
from saeinit.inits.rare import mix_rare
from saeinit.inits.request import InitRequest, InitWeights, on_cpu

NormalityFn = Callable[[InitRequest, np.ndarray], np.ndarray]
"""(request, sample [N, d]) -> a score per sample, lower for more outlying ones (scikit-learn's
convention for negative_outlier_factor_ and score_samples)."""


def most_outlying(
    request: InitRequest, count: int, method: str, normality: NormalityFn
) -> torch.Tensor:
    """The `count` samples of the init sample with the lowest `normality` scores (ties: the
    earlier sample first)."""
    sample = init_sample(request)
    if count > len(sample):
        raise ConfigError(
            "init-samples",
            f"{method} needs {count} samples (round(rare-ratio * n)), the init sample has "
            f"{len(sample)}",
        )
    (scores,) = on_cpu(lambda x: (normality(request, x),), sample)
    return sample[torch.argsort(scores, stable=True)[:count]]


def lof_normality(request: InitRequest, sample: np.ndarray) -> np.ndarray:
    """Minus each sample's local outlier factor (--lof-neighbors neighbours)."""
    from sklearn.neighbors import LocalOutlierFactor  # loaded on use: seconds to import

    neighbors = request.config.lof_neighbors
    if neighbors >= len(sample):
        raise ConfigError(
            "lof-neighbors",
            f"must be smaller than the init sample size ({len(sample)} samples), got {neighbors}",
        )
    return LocalOutlierFactor(n_neighbors=neighbors).fit(sample).negative_outlier_factor_


def outlier_vectors(request: InitRequest, count: int) -> torch.Tensor:
    return most_outlying(request, count, "outliers", lof_normality)


def outliers(request: InitRequest) -> InitWeights:
    return mix_rare(request, "outliers", outlier_vectors)
