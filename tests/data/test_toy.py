import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data import ToyConfig, ToyData, parse_scenario
from saeinit.data.limits import MAX_SQUARED_NORM
from saeinit.seeding import torch_generator


def test_features_are_unit_norm_and_reproducible():
    a = ToyData(ToyConfig(dim=16, features=40, seed=3))
    b = ToyData(ToyConfig(dim=16, features=40, seed=3))
    c = ToyData(ToyConfig(dim=16, features=40, seed=4))
    assert torch.allclose(a.features.norm(dim=1), torch.ones(40), atol=1e-6)
    assert torch.equal(a.features, b.features)
    assert not torch.equal(a.features, c.features)


def test_batches_reproducible_from_seed_and_streams_differ():
    toy = ToyData(ToyConfig(dim=8, features=32))
    first = next(toy.stream(64, seed=1))
    again = next(toy.stream(64, seed=1))
    other = next(toy.stream(64, seed=2))
    init = toy.sampler(seed=1)(64)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert not torch.equal(first, init)


def test_sample_is_coefficients_times_features_and_never_empty():
    toy = ToyData(ToyConfig(dim=8, features=64, noise=0.0))
    batch = toy.sample(2000, torch.Generator().manual_seed(0))
    assert torch.allclose(batch.x, batch.coefficients @ toy.features, atol=1e-5)
    assert ((batch.coefficients > 0).sum(dim=1) >= 1).all()
    assert batch.coefficients.max() <= 1.0 and batch.coefficients.min() >= 0.0


@pytest.mark.parametrize(
    "config",
    [
        ToyConfig(dim=8, features=64, decay=0.97, correlated=False),
        ToyConfig(dim=8, features=64, correlated=False, decay_law="power", decay=0.5),
        ToyConfig(dim=8, features=64, decay=0.97, correlation="sample"),
        ToyConfig(dim=8, features=64, decay=0.97, correlation="batch"),
        ToyConfig(dim=8, features=64, decay=0.97, correlation="sample", copula="unit"),
    ],
    ids=["uncorrelated", "power", "per-sample", "per-batch", "unit-copula"],
)
def test_empirical_frequencies_match_configured_probabilities(config):
    toy = ToyData(config)
    expected = toy.expected_frequencies(draws=20_000, seed=1).float()
    g = torch_generator(7, "train")
    n_batches, batch = 400, 256
    counts = sum((toy.sample(batch, g).coefficients > 0).sum(dim=0) for _ in range(n_batches))
    observed = counts.float() / (n_batches * batch)
    # Binomial standard error, widened for batch-level copula draws (fewer independent draws).
    spread = 1 if config.correlation == "sample" or not config.correlated else 6
    tolerance = 5 * spread * (expected * (1 - expected) / (n_batches * batch)).sqrt() + 2e-4
    assert ((observed - expected).abs() <= tolerance).all()
    # Frequencies decay with the feature index.
    assert observed[:8].mean() > 3 * observed[-8:].mean()


def test_mean_active_features_is_five_when_correlated():
    toy = ToyData(ToyConfig(dim=16, features=256))
    g = torch.Generator().manual_seed(0)
    active = torch.cat([(toy.sample(256, g).coefficients > 0).sum(dim=1) for _ in range(40)])
    assert 4.7 < active.float().mean() < 5.4


def test_noise_is_added():
    toy = ToyData(ToyConfig(dim=8, features=16, noise=0.1))
    batch = toy.sample(4000, torch.Generator().manual_seed(0))
    residual = batch.x - batch.coefficients @ toy.features
    assert 0.09 < residual.std().item() < 0.11


@pytest.mark.parametrize("text,expected", [("128x512", (128, 512)), ("8/16", (8, 16))])
def test_parse_scenario(text, expected):
    assert parse_scenario(text) == expected


@pytest.mark.parametrize("text", ["128", "128x", "0x16", "axb", "128x-4"])
def test_parse_scenario_rejects_malformed(text):
    with pytest.raises(ConfigError, match="scenario"):
        parse_scenario(text)


@pytest.mark.parametrize(
    "kwargs,option",
    [
        ({"dim": 0}, "dim"),
        ({"features": -1}, "features"),
        ({"decay": 1.5}, "decay"),
        ({"decay_law": "linear"}, "decay-law"),
        ({"correlation": "never"}, "correlation"),
        ({"copula": "student"}, "copula"),
        ({"coef_min": 1.0, "coef_max": 1.0}, "coef-min"),
        ({"noise": -0.1}, "noise"),
        ({"coef_max": float("inf")}, "coef-max"),
        ({"dataset_size": 0}, "dataset-size"),
        ({"dataset_size": 1}, "dataset-size"),
        ({"coef_max": 1e30}, "coef-max"),
        ({"coef_max": 1e-30}, "coef-max"),
        ({"noise": 1e30}, "noise"),
    ],
)
def test_config_rejects_bad_values(kwargs, option):
    with pytest.raises(ConfigError) as err:
        ToyConfig(**kwargs)
    assert err.value.option == option


def test_sampler_draws_each_batch_with_its_own_copula_draw():
    toy = ToyData(ToyConfig(dim=8, features=64, decay=0.97))
    x = toy.sampler(seed=0, batch_size=100)(250)
    assert x.shape == (250, 8)
    # The same draws as three training-style batches of 100, 100 and 50 from that stream.
    g = torch_generator(0, "init")
    expected = torch.cat([toy.sample(n, g).x for n in (100, 100, 50)])
    assert torch.equal(x, expected)


def test_sample_batches_gives_each_batch_its_own_copula_draw():
    toy = ToyData(ToyConfig(dim=8, features=64, decay=0.97))
    batch = toy.sample_batches(250, torch.Generator().manual_seed(0), 100)
    g = torch.Generator().manual_seed(0)
    parts = [toy.sample(n, g) for n in (100, 100, 50)]
    assert torch.equal(batch.x, torch.cat([p.x for p in parts]))
    assert torch.equal(batch.coefficients, torch.cat([p.coefficients for p in parts]))
    # One draw for all 2,560 samples pushes each feature's probability towards 0 or 1: far more
    # features never fire than when each batch of 256 draws its own probabilities.
    one_draw = toy.sample(2560, torch.Generator().manual_seed(1)).coefficients
    batched = toy.sample_batches(2560, torch.Generator().manual_seed(1), 256).coefficients
    silent = [int(((c > 0).sum(dim=0) == 0).sum()) for c in (one_draw, batched)]
    assert silent[0] > 2 * silent[1]


def test_coefficients_and_noise_are_bounded_so_that_squared_norms_stay_finite():
    limit = MAX_SQUARED_NORM**0.5
    with pytest.raises(ConfigError, match="overflow float32") as err:
        ToyConfig(dim=16, features=32, coef_max=1e30)
    assert err.value.option == "coef-max" and f"at most {limit / 32:.3g}" in err.value.message
    with pytest.raises(ConfigError, match="at least") as err:
        ToyConfig(dim=16, features=32, coef_max=1e-30)
    assert err.value.option == "coef-max"
    # At the upper bound, every sample's squared norm, summed over a large batch, is finite.
    config = ToyConfig(
        dim=16, features=32, mean_active=32, coef_min=0.98 * limit / 32, coef_max=0.99 * limit / 32
    )
    x = ToyData(config).sample(256, torch.Generator().manual_seed(0)).x
    assert torch.isfinite(x).all() and torch.isfinite(x.repeat(1 << 12, 1).pow(2).sum())
    with pytest.raises(ConfigError) as err:
        ToyConfig(dim=16, features=32, coef_max=0.99 * limit / 32, noise=limit)
    assert err.value.option == "noise"
    ToyConfig(dim=16, features=32, coef_max=1e-6, noise=1.0)  # small and large, yet sound
