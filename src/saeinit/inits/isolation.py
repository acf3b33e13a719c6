"""The `isolation` rare init: the samples scikit-learn's IsolationForest finds most outlying.

Each tree splits a random subsample (--isolation-subsample samples) on random coordinates at
random thresholds; a sample that few splits isolate is an outlier. The samples are ranked by
the forest's score and the `count` most outlying are taken, as `outliers` does with LOF. The
forest finds samples far from the bulk of the data (a rare feature with a large coefficient);
rare samples no longer than the common ones are LOF's outliers, which compares local
densities, but not the forest's (tests/inits/test_detectors.py shows both). The forest's cost
is linear in the init sample (and in the trees), so isolation keeps the shared default init
sample, which LOF cannot afford (docs/tuning.md has the timings). Like LOF, the forest runs on a
CPU copy of that sample whatever the init's device (`outliers.most_outlying`).
"""

from __future__ import annotations

import numpy as np
import torch

from saeinit.inits.outliers import most_outlying
from saeinit.inits.rare import mix_rare
from saeinit.inits.request import InitRequest, InitWeights, sklearn_seed


def isolation_normality(request: InitRequest, sample: np.ndarray) -> np.ndarray:
    """IsolationForest's score of each sample (lower: isolated by fewer splits)."""
    from sklearn.ensemble import IsolationForest  # loaded on use: it takes seconds to import

    config = request.config
    forest = IsolationForest(
        n_estimators=config.isolation_trees,
        max_samples=min(config.isolation_subsample, len(sample)),
        random_state=sklearn_seed(request.generator),
    )
    return forest.fit(sample).score_samples(sample)


def isolation_vectors(request: InitRequest, count: int) -> torch.Tensor:
    return most_outlying(request, count, "isolation", isolation_normality)


def isolation(request: InitRequest) -> InitWeights:
    return mix_rare(request, "isolation", isolation_vectors)
