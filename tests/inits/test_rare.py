"""The rare inits (average, centroid, outliers) and the step that mixes them into a base
(test_contracts.py checks what every init shares: atom shape and norm, non-finite samples,
seeds, bad options, a rare ratio that rounds to no rare vector)."""

import numpy as np
import pytest
import torch
from sklearn.neighbors import LocalOutlierFactor

from saeinit.config import ConfigError
from saeinit.inits import InitConfig, InitRequest, initialize
from saeinit.inits.centroid import one_member_per_cluster
from saeinit.inits.registry import DEFAULT_INIT_SAMPLES, LOF_SAMPLES
from saeinit.tensors import normalize_rows

X = torch.rand(300, 16, generator=torch.Generator().manual_seed(1))
RARE = torch.zeros(16)
RARE[15] = 1.0


def with_rare_direction(rare_every: int, low: float, n: int = 2000, seed: int = 5) -> torch.Tensor:
    """Sparse non-negative mixtures of 6 common directions (in the first 8 coordinates) and, in
    one sample of `rare_every`, the rare direction e_15 alone with a coefficient in
    [low, 2 * low)."""
    g = torch.Generator().manual_seed(seed)
    common = torch.zeros(6, 16)
    common[:, :8] = torch.randn(6, 8, generator=g)
    active = torch.rand(n, 6, generator=g) < 0.4
    x = (torch.rand(n, 6, generator=g) * active) @ normalize_rows(common)
    rare_rows = x[::rare_every]
    x[::rare_every] = RARE * low * (1 + torch.rand(len(rare_rows), 1, generator=g))
    return x


@pytest.mark.parametrize("ratio,n", [(0.1, 12), (0.25, 12), (0.5, 10), (1.0, 8)])
def test_average_replaces_round_ratio_n_atoms_of_the_base(ratio, n, request_for, cos):
    request = request_for(X, n, init="average", rare_ratio=ratio, rare_base="svd")
    W = initialize(request).W_dec
    count = round(ratio * n)
    residuals = X - X.mean(dim=0)  # the candidates the average method claims to use
    is_residual = cos(W, residuals).max(dim=1).values > 1 - 1e-5
    assert is_residual.tolist() == [False] * (n - count) + [True] * count
    svd_atoms = initialize(request_for(X, n, init="svd")).W_dec
    assert torch.allclose(W[: n - count], svd_atoms[: n - count], atol=1e-5)


def test_rare_vectors_are_distinct_samples_minus_the_mean(request_for, cos):
    W = initialize(request_for(X, 40, init="average", rare_ratio=0.5)).W_dec
    rows = cos(W[20:], X - X.mean(dim=0)).argmax(dim=1)
    assert len(set(rows.tolist())) == 20


def test_outliers_are_the_samples_with_the_lowest_lof_scores(request_for):
    W = initialize(request_for(X, 20, init="outliers", rare_ratio=0.25, lof_neighbors=30)).W_dec
    scores = LocalOutlierFactor(n_neighbors=30).fit(X.numpy()).negative_outlier_factor_
    expected = normalize_rows(X[np.argsort(scores)[:5]])
    assert torch.allclose(W[15:], expected, atol=1e-6)


def test_outliers_find_the_rare_direction(request_for):
    x = with_rare_direction(rare_every=200, low=0.5)  # 10 of 2000 samples
    W = initialize(request_for(x, 40, init="outliers", rare_ratio=0.1, lof_neighbors=50)).W_dec
    assert (W[36:] @ RARE > 0.99).all()  # all 4 rare vectors are the rare feature's samples


def test_centroid_residual_reveals_a_direction_hidden_in_a_cluster(request_for, cos):
    """Three tight clusters; half of the first also carries a small rare direction. A member of
    that cluster minus its centroid is +-RARE/2 (+ when the member carries it, - when not)."""
    g = torch.Generator().manual_seed(7)
    centers = torch.zeros(3, 16)
    centers[0, 0], centers[1, 1], centers[2, 2] = 10.0, 10.0, 10.0
    labels = torch.arange(900) % 3
    x = centers[labels] + 0.01 * torch.randn(900, 16, generator=g)
    x[0:900:6] += RARE  # half of cluster 0
    W = initialize(request_for(x, 30, init="centroid", rare_ratio=0.1, centroid_batch_size=256))
    rare = W.W_dec[27:]
    assert (rare @ RARE).abs().max() > 0.95
    means = torch.stack([x[labels == c].mean(dim=0) for c in range(3)])
    residuals = x - means[labels]  # what the method claims: members minus their centroids
    assert (cos(rare, residuals).max(dim=1).values > 0.9).all()
    assert cos(rare, x).max() < 0.5  # not the members themselves


def test_centroid_finds_the_rare_direction_in_sparse_mixtures(request_for):
    """The samples of a strong rare feature form a cluster of their own; within it, a member
    minus the centroid is the rare direction times (coefficient - mean coefficient)."""
    x = with_rare_direction(rare_every=50, low=2.0)
    W = initialize(request_for(x, 40, init="centroid", rare_ratio=0.2, centroid_batch_size=512))
    assert (W.W_dec[32:] @ RARE).abs().max() > 0.95


def test_one_member_per_cluster_fills_empty_clusters_with_other_samples():
    labels = torch.tensor([0, 0, 2, 2, 2, 3])  # cluster 1 is empty
    members = one_member_per_cluster(labels, 4, torch.Generator().manual_seed(0))
    assert len(set(members.tolist())) == 4
    assert labels[members[:3]].tolist() == [0, 2, 3]  # one member per cluster, by label


def test_centroid_uses_the_member_when_it_equals_its_centroid(request_for, cos):
    points = torch.eye(16)[:3] * 2
    W = initialize(request_for(points[torch.arange(60) % 3], 10, init="centroid", rare_ratio=0.3))
    assert torch.allclose(cos(W.W_dec[7:], points).max(dim=1).values, torch.ones(3), atol=1e-5)


def test_sample_size_limits_name_the_option(request_for):
    with pytest.raises(ConfigError) as err:
        initialize(request_for(X, 20, init="outliers", init_samples=100, lof_neighbors=100))
    assert err.value.option == "lof-neighbors"
    with pytest.raises(ConfigError) as err:
        initialize(request_for(X, 20, init="centroid", rare_ratio=0.5, init_samples=8))
    assert err.value.option == "init-samples"


def test_outliers_default_sample_is_smaller_than_the_shared_default():
    """LOF is quadratic in its sample: outliers looks at LOF_SAMPLES unless told, its data base
    at the shared default; --init-samples sets both."""
    assert LOF_SAMPLES < DEFAULT_INIT_SAMPLES
    defaults = [LOF_SAMPLES, DEFAULT_INIT_SAMPLES]
    for options, expected in [({}, defaults), ({"init_samples": 250}, [250, 250])]:
        asked: list[int] = []
        config = InitConfig(init="outliers", rare_ratio=0.25, lof_neighbors=30, **options)
        draw = lambda k, asked=asked: asked.append(k) or X[:k]  # noqa: E731
        initialize(InitRequest(20, 16, torch.Generator().manual_seed(0), draw, config))
        assert asked == expected
