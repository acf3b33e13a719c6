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
    DUPLICATE_COSINE,
    HASH_DECIMALS,
    SCREEN_DIMS,
    duplicates,
    maybe_repeated,
    optimal_directions,
    repeated_directions,
)
from saeinit.inits.pursuit import SparseCodes
from saeinit.inits.registry import DEFAULT_INIT_SAMPLES, LOF_SAMPLES
from saeinit.tensors import normalize_rows


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


def test_repeated_directions_match_sorting_every_row_and_ties_keep_its_order():
    """600 directions seen 1 to 4 times each (many ties) among 3,000 mixtures: the same atoms,
    in the same order, as sorting every rounded row (what modes did before the hash)."""
    g = torch.Generator().manual_seed(0)
    directions = torch.randn(600, 16, generator=g)
    repeats = torch.randint(1, 5, (600,), generator=g)
    scales = torch.rand(int(repeats.sum()), 1, generator=g) + 0.5
    seen = directions.repeat_interleave(repeats, dim=0) * scales
    sample = torch.cat([seen, torch.randn(3000, 16, generator=g)])
    sample = sample[torch.randperm(len(sample), generator=g)]
    units = normalize_rows(sample)
    keys = torch.round(units * 10**HASH_DECIMALS).to(torch.int32)
    _, inverse, counts = torch.unique(keys, dim=0, return_inverse=True, return_counts=True)
    first = torch.full((len(counts),), len(units)).scatter_reduce_(
        0, inverse, torch.arange(len(units)), reduce="amin"
    )
    repeated = (counts >= 2).nonzero().squeeze(1)
    expected = units[first[repeated[torch.argsort(counts[repeated], descending=True, stable=True)]]]
    assert len(expected) == int((repeats >= 2).sum())
    assert torch.equal(repeated_directions(sample), expected)


def test_maybe_repeated_keeps_every_repeated_row_and_drops_the_unique_ones():
    keys = torch.tensor([[1, 2], [3, 4], [1, 2], [-1000, 1000], [5, 6], [-1000, 1000], [0, 0]])
    assert maybe_repeated(keys.double()).tolist() == [0, 2, 3, 5]


def test_optimal_directions_match_the_direct_least_squares_solve():
    """Codes whose atoms are used by hundreds of samples or a handful (frequencies 0.9 ** i):
    the preconditioned conjugate gradients reach the direct solve of the ridged normal
    equations for all of them (the unpreconditioned 30 iterations used before missed by 3e-4
    here)."""
    g = torch.Generator().manual_seed(0)
    frequencies = 0.9 ** torch.arange(40.0)
    support = torch.multinomial(frequencies.expand(2000, -1), 3, generator=g)
    codes = SparseCodes(support, torch.rand(2000, 3, generator=g) + 0.1, torch.empty(0))
    x, start = torch.randn(2000, 8, generator=g), normalize_rows(torch.randn(40, 8, generator=g))
    dense = torch.zeros(2000, 40).scatter_(1, codes.support, codes.coef).double()
    uses = (dense != 0).sum(dim=0)
    assert uses.max() > 20 * uses.min() > 0
    direct = torch.linalg.solve(dense.T @ dense + 1e-4 * torch.eye(40), dense.T @ x.double())
    assert torch.allclose(optimal_directions(codes, x, start).double(), direct, atol=1e-4)


@pytest.mark.parametrize("dim", [16, 4 * SCREEN_DIMS], ids=["compared-whole", "screened"])
def test_duplicates_are_the_atoms_close_to_an_earlier_one(dim):
    """Random atoms with copies bent by a range of angles around DUPLICATE_COSINE: the mask is
    the brute-force one (every pair compared in full), screened or not."""
    g = torch.Generator().manual_seed(0)
    atoms = normalize_rows(torch.randn(600, dim, generator=g))
    bends = torch.linspace(0.15, 0.5, 200).unsqueeze(1)  # angles of about 8 to 27 degrees
    sideways = normalize_rows(torch.randn(200, dim, generator=g))
    sideways = normalize_rows(
        sideways - (sideways * atoms[:200]).sum(1, keepdim=True) * atoms[:200]
    )
    atoms[400:] = normalize_rows(atoms[:200] + bends * sideways)
    cosines = atoms @ atoms.T
    brute = ((cosines > DUPLICATE_COSINE) & torch.ones(600, 600, dtype=torch.bool).triu(1)).any(0)
    assert 50 < brute.sum() < 150  # both sides of the threshold are represented
    assert torch.equal(duplicates(atoms), brute)


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


def test_a_dictionary_update_that_overflows_is_a_config_error_naming_the_data_scale(
    request_for, monkeypatch
):
    """As mod's did on data at 1e6: the next coding fails, and the error names the data's own
    largest value."""
    import saeinit.inits.dictlearn as dictlearn

    x = torch.randn(256, 16, generator=torch.Generator().manual_seed(0))
    monkeypatch.setattr(
        dictlearn, "optimal_directions", lambda codes, x, start, *rest: start * math.inf
    )
    with pytest.raises(ConfigError) as err:
        initialize(request_for(x * 1e6, 32, init="mod", omp_k=3, mod_iters=2))
    assert err.value.option == "init" and "largest |x| 4" in err.value.message


@pytest.mark.parametrize(
    "options,option",
    [({"omp_k": 100}, "omp-k"), ({"omp_k": 100, "omp_candidates": 50}, "omp-candidates")],
)
def test_too_few_candidates_blames_the_option_the_user_set(options, option):
    """--omp-k 100 alone is refused naming --omp-k (the candidates are at their default);
    with --omp-candidates set below it, naming --omp-candidates."""
    with pytest.raises(ConfigError) as err:
        InitConfig(init="mod", **options)
    assert err.value.option == option and "100" in err.value.message
