"""The `centroid` rare init: in each MiniBatchKMeans cluster, a random member minus its centroid.

The number of clusters is the number of rare vectors wanted, as in the seed post. A cluster that
ends up empty gives no member; its place goes to another random sample (minus its own cluster's
centroid). A residual that is numerically zero (a member equal to its centroid) is replaced by
the member itself, so no atom is left without a direction.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.cluster import MiniBatchKMeans

from saeinit.config import ConfigError
from saeinit.inits.data_samples import init_sample
from saeinit.inits.rare import register_rare
from saeinit.inits.registry import InitRequest, sklearn_seed, sklearn_threads


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


@register_rare(
    "centroid",
    "MiniBatchKMeans cluster members minus centroids",
)
def centroid_vectors(request: InitRequest, count: int) -> torch.Tensor:
    sample = init_sample(request)
    if count > len(sample):
        raise ConfigError(
            "init-samples",
            f"centroid makes {count} clusters (round(rare-ratio * n)), more than the "
            f"{len(sample)} samples of the init sample",
        )
    kmeans = MiniBatchKMeans(
        n_clusters=count,
        batch_size=request.config.centroid_batch_size,
        n_init="auto",
        random_state=sklearn_seed(request.generator),
    )
    with sklearn_threads():
        labels = kmeans.fit_predict(sample.numpy())
    centers = torch.from_numpy(kmeans.cluster_centers_).to(sample.dtype)
    members = one_member_per_cluster(labels, count, request.generator)
    chosen = sample[members]
    residual = chosen - centers[torch.from_numpy(labels)[members]]
    degenerate = residual.norm(dim=1) <= 1e-6 * chosen.norm(dim=1)
    return torch.where(degenerate[:, None], chosen, residual)
