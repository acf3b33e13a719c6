"""The other outlier detectors and clustering methods: isolation (IsolationForest) and mixture
(GaussianMixture), and the steps they share with outliers and centroid (test_contracts.py checks
what every init shares: atom shape and norm, non-finite samples, seeds, bad options)."""

import numpy as np
import pytest
import torch
from sklearn.ensemble import IsolationForest
from sklearn.mixture import GaussianMixture

from saeinit.config import ConfigError
from saeinit.inits import initialize
from saeinit.inits.outliers import most_outlying
from saeinit.inits.request import sklearn_seed
from saeinit.tensors import normalize_rows

D = 16
DIRECTIONS = normalize_rows(torch.randn(7, D, generator=torch.Generator().manual_seed(2)))
COMMON, RARE = DIRECTIONS[:6], DIRECTIONS[6]
"""Six common feature directions and a rare one, dense and random as the toy features are."""


def with_rare_direction(rare_every: int, low: float, n: int = 2000, seed: int = 5) -> torch.Tensor:
    """Sparse non-negative mixtures of the common directions and, in one sample of
    `rare_every`, the rare direction alone with a coefficient in [low, 2 * low); without the
    all-zero samples, which no init looks at."""
    g = torch.Generator().manual_seed(seed)
    active = torch.rand(n, 6, generator=g) < 0.4
    x = (torch.rand(n, 6, generator=g) * active) @ COMMON
    x[::rare_every] = RARE * low * (1 + torch.rand(len(x[::rare_every]), 1, generator=g))
    return x[x.norm(dim=1) > 0]


X = with_rare_direction(rare_every=200, low=2.0)  # 10 rare samples, longer than most others


def test_most_outlying_takes_the_lowest_scores_earlier_first_on_ties(request_for):
    x = torch.arange(1, 7, dtype=torch.float32)[:, None] * torch.ones(6, 3)
    scores = np.array([0.5, -1.0, 0.2, -1.0, 3.0, -2.0])
    picked = most_outlying(request_for(x, 6), 3, "test", lambda request, sample: scores)
    assert picked[:, 0].tolist() == [6.0, 2.0, 4.0]  # scores -2, then the two -1 in order
    with pytest.raises(ConfigError) as err:
        most_outlying(request_for(x, 6), 7, "test", lambda request, sample: scores)
    assert err.value.option == "init-samples" and "test needs 7" in err.value.message


def test_isolation_takes_the_samples_the_forest_scores_lowest(request_for):
    W = initialize(request_for(X, 40, init="isolation", rare_ratio=0.1, isolation_trees=50)).W_dec
    seed = sklearn_seed(torch.Generator().manual_seed(0))  # the init's first random draw
    forest = IsolationForest(n_estimators=50, max_samples=256, random_state=seed).fit(X.numpy())
    expected = X[np.argsort(forest.score_samples(X.numpy()), kind="stable")[:4]]
    assert torch.allclose(W[36:], normalize_rows(expected), atol=1e-6)


def test_isolation_grows_its_trees_on_the_whole_of_a_smaller_sample(request_for):
    small = dict(init="isolation", rare_ratio=0.25, init_samples=100)
    W = initialize(request_for(X, 16, **small, isolation_subsample=256)).W_dec
    assert torch.equal(W, initialize(request_for(X, 16, **small, isolation_subsample=100)).W_dec)


def test_isolation_finds_the_planted_rare_direction(request_for):
    W = initialize(request_for(X, 40, init="isolation", rare_ratio=0.1)).W_dec
    assert (W[36:] @ RARE > 0.999).all()  # all 4 rare vectors are the rare feature's samples


def test_isolation_finds_a_planted_outlier_among_gaussian_samples(request_for):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(1000, D, generator=g)
    x[417] = 12 * RARE  # far out in a direction, as a dense feature with a large coefficient
    W = initialize(request_for(x, 20, init="isolation", rare_ratio=0.05)).W_dec  # one rare atom
    assert W[19] @ RARE > 0.999


def test_mixture_residual_reveals_a_direction_hidden_in_a_cluster(request_for, cos):
    """Three tight clusters; half of the first also carries a small rare direction. A member of
    that cluster minus its component mean is +-RARE/2."""
    g = torch.Generator().manual_seed(7)
    centers = torch.zeros(3, D)
    centers[0, 0], centers[1, 1], centers[2, 2] = 10.0, 10.0, 10.0
    labels = torch.arange(900) % 3
    x = centers[labels] + 0.01 * torch.randn(900, D, generator=g)
    x[0:900:6] += RARE  # half of cluster 0
    W = initialize(request_for(x, 30, init="mixture", rare_ratio=0.1)).W_dec
    rare = W[27:]
    assert (rare @ RARE).abs().max() > 0.95
    means = torch.stack([x[labels == c].mean(dim=0) for c in range(3)])
    assert (cos(rare, x - means[labels]).max(dim=1).values > 0.9).all()
    assert cos(rare, x).max() < 0.5  # not the members themselves


def test_mixture_atoms_are_members_minus_their_component_means(request_for, cos):
    x = with_rare_direction(rare_every=50, low=2.0)
    W = initialize(request_for(x, 40, init="mixture", rare_ratio=0.2)).W_dec
    assert (W[32:] @ RARE).abs().max() > 0.95  # the rare feature's own component
    seed = sklearn_seed(torch.Generator().manual_seed(0))
    mixture = GaussianMixture(8, covariance_type="diag", random_state=seed)
    labels = mixture.fit_predict(x.numpy())
    residuals = x - torch.from_numpy(mixture.means_).float()[torch.from_numpy(labels)]
    match = cos(W[32:], residuals).max(dim=1)
    assert (match.values > 1 - 1e-4).all()
    assert len(set(labels[match.indices.numpy()])) == 8  # one member of each component


@pytest.mark.parametrize(
    "init,says",
    [("isolation", "isolation needs 16"), ("mixture", "mixture makes 16")],
)
def test_a_sample_smaller_than_the_rare_count_is_refused(init, says, request_for):
    with pytest.raises(ConfigError) as err:
        initialize(request_for(X, 16, init=init, rare_ratio=1.0, init_samples=8))
    assert err.value.option == "init-samples" and says in err.value.message


def test_isolation_misses_rare_samples_no_longer_than_common_ones_where_lof_finds_them(request_for):
    """IsolationForest isolates samples far from the bulk; LOF compares local densities. Rare
    samples of the common samples' length are LOF's outliers but not the forest's."""
    x = with_rare_direction(rare_every=200, low=0.5)
    lof = initialize(request_for(x, 40, init="outliers", rare_ratio=0.1, lof_neighbors=50)).W_dec
    forest = initialize(request_for(x, 40, init="isolation", rare_ratio=0.1)).W_dec
    assert (lof[36:] @ RARE > 0.999).all()
    assert (forest[36:] @ RARE > 0.999).sum() == 0
