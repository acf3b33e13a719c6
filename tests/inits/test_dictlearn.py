"""The dictionary-learning inits (modes, mod) and their steps (test_contracts.py checks what
every init shares: atom shape and norm, non-finite samples, seeds, bad options)."""

import math

import pytest
import torch

from saeinit import metrics
from saeinit.config import ConfigError
from saeinit.data import ToyConfig, ToyData
from saeinit.inits import InitConfig, InitRequest, get, initialize
from saeinit.inits.dictlearn import (
    least_squares,
    matching_pursuit,
    optimal_directions,
    repeated_directions,
)
from saeinit.inits.registry import DEFAULT_INIT_SAMPLES, LOF_SAMPLES


def test_repeated_directions_are_the_features_seen_alone_most_often_first():
    features = torch.eye(6)[:3] * 1.0
    samples = torch.cat(
        [
            0.3 * features[[0]], 0.9 * features[[0]], 0.5 * features[[0]],  # feature 0 three times
            0.2 * features[[2]], 0.7 * features[[2]],  # feature 2 twice
            features[[1]] + 0.5 * features[[2]],  # a mixture, seen once
            torch.randn(20, 6),
        ]
    )  # fmt: skip
    found = repeated_directions(samples)
    assert torch.allclose(found, features[[0, 2]], atol=1e-6)


def test_matching_pursuit_recovers_exact_sparse_codes():
    atoms = torch.linalg.qr(torch.randn(16, 16))[0][:10]  # orthonormal atoms
    codes = torch.zeros(50, 10)
    codes[torch.arange(50), torch.arange(50) % 10] = torch.rand(50) + 0.5
    codes[torch.arange(50), (torch.arange(50) + 3) % 10] = torch.rand(50) + 0.5
    found = matching_pursuit(codes @ atoms, atoms, k=2)
    dense = torch.zeros(50, 10).scatter_(1, found.support, found.coef)
    assert torch.allclose(dense, codes, atol=1e-4)
    assert found.residual.abs().max() < 1e-4
    assert torch.allclose(found.matrix(10).to_dense(), dense)


def test_optimal_directions_match_the_direct_least_squares_solve():
    atoms = torch.nn.functional.normalize(torch.randn(12, 8), dim=1)
    x = torch.randn(200, 8)
    codes = matching_pursuit(x, atoms, k=3)
    dense = torch.zeros(200, 12).scatter_(1, codes.support, codes.coef)
    direct = torch.linalg.solve(dense.T @ dense + 1e-4 * torch.eye(12), dense.T @ x)
    assert torch.allclose(optimal_directions(codes, x, atoms), direct, atol=1e-3)


def test_mod_recovers_toy_features_far_better_than_data_samples(request_for):
    toy = ToyData(ToyConfig(dim=16, features=32, mean_active=2.0))
    data = toy.sampler(seed=0)(4096)
    mod = initialize(request_for(data, 32, init="mod", mod_iters=8, omp_k=3))
    modes = initialize(request_for(data, 32, init="modes"))
    raw = initialize(request_for(data, 32, init="data"))
    mmcs = {name: metrics.mmcs(toy.features, r.W_dec) for name, r in
            [("mod", mod), ("modes", modes), ("data", raw)]}  # fmt: skip
    assert mmcs["mod"] > 0.97
    assert mmcs["modes"] > mmcs["data"] + 0.1


def test_least_squares_matches_lstsq_and_survives_a_repeated_column():
    g = torch.Generator().manual_seed(0)
    basis = torch.nn.functional.normalize(torch.randn(50, 16, 4, generator=g), dim=1)
    target = torch.randn(50, 16, 1, generator=g)
    expected = torch.linalg.lstsq(basis.double(), target.double()).solution.float()
    assert torch.allclose(least_squares(basis, target), expected, atol=1e-3)
    repeated = torch.cat([basis, basis[:, :, :1]], dim=2)
    assert torch.isfinite(least_squares(repeated, target)).all()


def test_default_init_sample_grows_to_the_atoms_an_init_picks():
    from saeinit.inits.request import sample_size

    def size(init, n_atoms, **options):
        draw = lambda n: torch.zeros(n, 4)  # noqa: E731
        config = InitConfig(init=init, **options)
        return sample_size(InitRequest(n_atoms, 4, torch.Generator(), draw, config))

    assert size("data", 100) == DEFAULT_INIT_SAMPLES and size("data", 20000) == 20000
    assert size("outliers", 20000, rare_ratio=0.05) == LOF_SAMPLES  # LOF's sample stays small
    assert size("outliers", 20000, rare_ratio=0.5) == 10000
    assert size("mod", 100) == get("mod").samples and size("data", 20000, init_samples=500) == 500
    assert size("svd", 20000) == 40000


def test_mod_finds_the_same_atoms_at_any_scale_of_the_data(request_for):
    """mod's ridges are absolute and its conjugate gradients overflow float32 on data far
    larger than 1, so it codes such data divided by a power of two (exactly): the atoms at
    2**40 (and at 2**-30) times the scale are those at scale 1, bit for bit."""
    toy = ToyData(ToyConfig(dim=16, features=32, mean_active=2.0))
    data = toy.sampler(seed=0)(4096)
    options = dict(init="mod", mod_iters=3, omp_k=3)
    ordinary = initialize(request_for(data, 32, **options)).W_dec
    assert metrics.mmcs(toy.features, ordinary) > 0.95
    for scale in (2.0**40, 2.0**-30):
        assert torch.equal(initialize(request_for(data * scale, 32, **options)).W_dec, ordinary)


def test_mod_refuses_more_atoms_per_sample_than_the_dictionary_holds(request_for):
    data = torch.randn(512, 8, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ConfigError) as err:
        initialize(request_for(data, 5, init="mod", omp_k=6))
    assert err.value.option == "omp-k" and "more than the 5 atoms" in err.value.message
    assert initialize(request_for(data, 5, init="mod", omp_k=5, mod_iters=1)).W_dec.shape == (5, 8)


def test_a_failed_solve_is_a_config_error_naming_the_option_not_a_linalg_traceback(
    request_for, monkeypatch
):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 16, generator=g)
    atoms = torch.nn.functional.normalize(torch.randn(32, 16, generator=g), dim=1)
    with pytest.raises(ConfigError) as err:  # atoms whose Gram matrix overflows float32
        matching_pursuit(x, atoms * 1e20, 3)
    assert err.value.option == "init" and "rescale the data" in err.value.message
    with pytest.raises(ConfigError) as err:
        matching_pursuit(x, atoms * 1e20, 3, option="encoder-init")
    assert err.value.option == "encoder-init"
    # a dictionary update that overflows (as mod's did on data at 1e6): the next coding fails
    import saeinit.inits.dictlearn as dictlearn

    monkeypatch.setattr(dictlearn, "optimal_directions", lambda codes, x, start: start * math.inf)
    with pytest.raises(ConfigError) as err:
        initialize(request_for(x * 1e6, 32, init="mod", omp_k=3, mod_iters=2))
    assert err.value.option == "init" and "largest |x| 4" in err.value.message
