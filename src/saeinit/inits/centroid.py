"""The `centroid` rare init: in each k-means cluster, a random member minus its centroid, and
the step every clustering init shares (`cluster_residuals`).

The number of clusters is the number of rare vectors wanted, as in the seed post. The
clustering is scikit-learn's MiniBatchKMeans on a CPU copy of the init sample (the seed post's,
the default), or with --centroid-backend torch Lloyd's k-means in torch on the init's device
(`kmeans.py`). A cluster that ends up empty gives no member; its place goes to another random
sample (minus its own cluster's centroid). A residual that is numerically zero (a member equal
to its centroid) is replaced by the member itself, so no atom is left without a direction.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from saeinit.config import ConfigError
from saeinit.inits.data_samples import init_sample
from saeinit.inits.kmeans import torch_kmeans
from saeinit.inits.rare import mix_rare
from saeinit.inits.request import InitRequest, InitWeights, on_cpu, sklearn_seed

ClusterFn = Callable[[InitRequest, torch.Tensor, int], tuple[torch.Tensor, torch.Tensor]]
"""(request, sample [N, d], clusters) -> (a cluster label per sample [N], the centres [k, d]),
on the sample's device."""


def one_member_per_cluster(
    labels: torch.Tensor, clusters: int, generator: torch.Generator
) -> torch.Tensor:
    """Indices of `clusters` distinct samples: one random member of each non-empty cluster (in
    the order of the labels), then random other samples in place of the empty clusters."""
    order = torch.randperm(len(labels), generator=generator).to(labels.device)
    positions = torch.arange(len(labels), device=labels.device)
    first = torch.full((clusters,), len(labels), dtype=torch.long, device=labels.device)
    first.scatter_reduce_(0, labels[order], positions, reduce="amin")
    chosen = order[first[first < len(labels)]]
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
    labels, centers = cluster(request, sample, count)
    members = one_member_per_cluster(labels.long(), count, request.generator)
    chosen = sample[members]
    residual = chosen - centers.to(sample.dtype)[labels.long()[members]]
    degenerate = residual.norm(dim=1) <= 1e-6 * chosen.norm(dim=1)
    return torch.where(degenerate[:, None], chosen, residual)


def kmeans_clusters(
    request: InitRequest, sample: torch.Tensor, count: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """--centroid-backend sklearn: MiniBatchKMeans with --centroid-batch-size, on the CPU;
    torch: `torch_kmeans` on the sample's device."""
    if request.config.centroid_backend == "torch":
        return torch_kmeans(sample, count, request.generator)
    from sklearn.cluster import MiniBatchKMeans  # loaded on use: it takes seconds to import

    kmeans = MiniBatchKMeans(
        n_clusters=count,
        batch_size=request.config.centroid_batch_size,
        n_init="auto",
        random_state=sklearn_seed(request.generator),
    )
    return on_cpu(lambda x: (kmeans.fit_predict(x), kmeans.cluster_centers_), sample)


def centroid_vectors(request: InitRequest, count: int) -> torch.Tensor:
    return cluster_residuals(request, count, "centroid", kmeans_clusters)


def centroid(request: InitRequest) -> InitWeights:
    return mix_rare(request, "centroid", centroid_vectors)
