"""The `centroid` rare init: in each MiniBatchKMeans cluster, a random member minus its centroid,
and the step every clustering init shares (`cluster_residuals`).

The number of clusters is the number of rare vectors wanted, as in the seed post. A cluster that
ends up empty gives no member; its place goes to another random sample (minus its own cluster's
centroid). A residual that is numerically zero (a member equal to its centroid) is replaced by
the member itself, so no atom is left without a direction.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from saeinit.config import ConfigError
from saeinit.inits.data_samples import init_sample
from saeinit.inits.rare import mix_rare
from saeinit.inits.request import InitRequest, InitWeights, sklearn_seed, sklearn_threads

ClusterFn = Callable[[InitRequest, np.ndarray, int], tuple[np.ndarray, np.ndarray]]
"""(request, sample [N, d], clusters) -> (a cluster label per sample [N], the centres [k, d])."""


def one_member_per_cluster(
    labels: np.ndarray, clusters: int, generator: torch.Generator
) -> torch.Tensor:
    """Indices of `clusters` distinct samples: one random member of each non-empty cluster,
    then random other samples in place of the empty clusters."""
    order = torch.randperm(len(labels), generator=generator)
    _, first = np.unique(labels[order.numpy()], return_index=True)
    chosen = order[torch.from_numpy(first)]
    others = order[~torch.isin(order, chosen)]
    return torch.cat([chosen, others[: clusters - len(chosen)]])


def cluster_residuals(
    request: InitRequest, count: int, method: str, cluster: ClusterFn
) -> torch.Tensor:
    """Cluster the init sample into `count` clusters with `cluster`, and return one random member
    of each minus its cluster's centre (the member itself where the two coincide)."""
    sample = init_sample(request)
    if count > len(sample):
        raise ConfigError(
            "init-samples",
            f"{method} makes {count} clusters (round(rare-ratio * n)), more than the "
            f"{len(sample)} samples of the init sample",
        )
    with sklearn_threads():
        labels, centers = cluster(request, sample.numpy(), count)
    members = one_member_per_cluster(labels, count, request.generator)
    chosen = sample[members]
    centers = torch.from_numpy(centers).to(sample.dtype)
    residual = chosen - centers[torch.from_numpy(labels)[members]]
    degenerate = residual.norm(dim=1) <= 1e-6 * chosen.norm(dim=1)
    return torch.where(degenerate[:, None], chosen, residual)


def kmeans_clusters(
    request: InitRequest, sample: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """MiniBatchKMeans with --centroid-batch-size."""
    from sklearn.cluster import MiniBatchKMeans  # loaded on use: it takes seconds to import

    kmeans = MiniBatchKMeans(
        n_clusters=count,
        batch_size=request.config.centroid_batch_size,
        n_init="auto",
        random_state=sklearn_seed(request.generator),
    )
    return kmeans.fit_predict(sample), kmeans.cluster_centers_


def centroid_vectors(request: InitRequest, count: int) -> torch.Tensor:
    return cluster_residuals(request, count, "centroid", kmeans_clusters)


def centroid(request: InitRequest) -> InitWeights:
    return mix_rare(request, "centroid", centroid_vectors)
