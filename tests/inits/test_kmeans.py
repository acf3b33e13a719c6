"""The torch k-means (`kmeans.py`) and the centroid init's --centroid-backend torch."""

import torch

from saeinit.inits import initialize
from saeinit.inits.kmeans import cluster_means, kmeans_plus_plus, nearest, torch_kmeans

CENTRES = torch.tensor([[10.0, 0, 0], [0, 10.0, 0], [0, 0, 10.0]])


def three_clusters(per_cluster: int = 50, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Points around three far-apart centres (unit noise), shuffled, and each one's centre."""
    g = torch.Generator().manual_seed(seed)
    truth = torch.randperm(3 * per_cluster, generator=g) % 3
    return CENTRES[truth] + torch.randn(3 * per_cluster, 3, generator=g), truth


def test_torch_kmeans_finds_three_separated_clusters():
    for seed in range(5):
        x, truth = three_clusters(seed=seed)
        labels, centres = torch_kmeans(x, 3, torch.Generator().manual_seed(seed))
        # the same partition, whatever the numbering, and each centre its cluster's mean
        pairs = {(int(t), int(label)) for t, label in zip(truth, labels, strict=True)}
        assert len(pairs) == 3 and len({label for _, label in pairs}) == 3
        for label in range(3):
            assert torch.allclose(centres[label], x[labels == label].mean(dim=0), atol=1e-5)


def test_kmeans_plus_plus_seeds_are_distinct_far_apart_samples():
    x, truth = three_clusters()
    seeds = kmeans_plus_plus(x, 3, torch.Generator().manual_seed(0))
    rows = [int((x == seed).all(dim=1).nonzero()) for seed in seeds]
    assert sorted(int(truth[row]) for row in rows) == [0, 1, 2]


def test_nearest_and_means_by_hand():
    x = torch.tensor([[0.0, 0], [1, 0], [10, 10], [11, 10]])
    centres = torch.tensor([[0.0, 0], [10, 10], [50, 50]])
    labels = nearest(x, centres)
    assert labels.tolist() == [0, 0, 1, 1]
    means = cluster_means(x, labels, centres)  # the third cluster is empty: it keeps its centre
    assert torch.equal(means, torch.tensor([[0.5, 0], [10.5, 10], [50, 50]]))


def test_centroid_with_the_torch_backend_picks_members_minus_their_cluster_mean(request_for, cos):
    x, truth = three_clusters()

    def rare_vectors(seed: int) -> torch.Tensor:
        options = dict(init="centroid", rare_ratio=3 / 8, centroid_backend="torch")
        return initialize(request_for(x, 8, seed, **options)).W_dec[5:]

    rare = rare_vectors(0)
    assert torch.all(cos(rare, x - CENTRES[truth]).max(dim=1).values > 0.97)  # vs true centres
    assert torch.equal(rare, rare_vectors(0)) and not torch.equal(rare, rare_vectors(1))
