"""The `mixture` rare init: in each GaussianMixture component, a random member minus the
component's mean.

The clustering alternative to `centroid`: as many components as rare vectors wanted, each
sample assigned to its most likely component, then the step centroid uses (`cluster_residuals`).
A mixture with a variance per component and coordinate (covariance_type "diag") fits clusters of
different spreads where k-means assumes one. Full covariances cost several times as much (d x d
per component), so the mixture is diagonal, which is cheap enough to keep the shared default
init sample (docs/tuning.md has the timings). scikit-learn fits it on a CPU copy of the init
sample, whatever the init's device; that sample stays at the shared default size unless
--init-samples or the rare count asks for more, so its cost does not grow with the data.
"""

from __future__ import annotations

import torch

from saeinit.inits.centroid import cluster_residuals
from saeinit.inits.rare import mix_rare
from saeinit.inits.request import InitRequest, InitWeights, on_cpu, sklearn_seed

COVARIANCE = "diag"
"""GaussianMixture's covariance_type (diagonal: see the module docstring for why)."""


def mixture_clusters(
    request: InitRequest, sample: torch.Tensor, count: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """A diagonal GaussianMixture of `count` components (on the CPU): each sample's component
    and the means."""
    from sklearn.mixture import GaussianMixture  # loaded on use: it takes seconds to import

    mixture = GaussianMixture(
        n_components=count,
        covariance_type=COVARIANCE,
        random_state=sklearn_seed(request.generator),
    )
    return on_cpu(lambda x: (mixture.fit_predict(x), mixture.means_), sample)


def mixture_vectors(request: InitRequest, count: int) -> torch.Tensor:
    return cluster_residuals(request, count, "mixture", mixture_clusters)


def mixture(request: InitRequest) -> InitWeights:
    return mix_rare(request, "mixture", mixture_vectors)
