"""The contract every registered init keeps, checked once for all of them.

Each test is parametrized over `inits.names()`, so an init registered tomorrow is covered
without touching this file. The data is small toy data (d = 8) and a small init sample. An init
that needs the ground truth (oracle) is given half as many features as atoms, so that it takes
the rest from the data as well, and is checked to refuse a request without features.
"""

import dataclasses
import math

import pytest
import torch

from saeinit import inits
from saeinit.config import ConfigError
from saeinit.data import ToyConfig, ToyData
from saeinit.inits import InitConfig, InitRequest, initialize

DIM = 8
SHAPES = [(32, DIM), (5, DIM)]
"""(atoms, dim): an overcomplete and an undercomplete dictionary."""
SMALL = {"init_samples": 512, "rare_ratio": 0.25, "mod_iters": 2, "omp_k": 3, "oracle_noise": 0.1}
SMALL |= {"sae_mod_k": 3, "sae_mod_iters": 2}
"""Options that keep every init small and quick; a rare init makes a quarter of the atoms;
mod and sae-mod code with 3 atoms per sample (at most the smallest dictionary's); oracle
atoms are noisy, so that they depend on the seed."""
TOY = ToyData(ToyConfig(dim=DIM, features=32))
ALL = inits.names()
RARE = [spec.name for spec in inits.available() if spec.uses_base]
GROUND_TRUTH = [spec.name for spec in inits.available() if spec.needs_ground_truth]


def toy_request(init: str, n_atoms: int = 32, seed: int = 0, draw=None, **options) -> InitRequest:
    """A request for n_atoms atoms of toy data, its samples and generator both from `seed`;
    an init that needs the ground truth gets the first n_atoms // 2 features."""
    config = InitConfig(init=init, **(SMALL | options))
    generator = torch.Generator().manual_seed(seed)
    features = TOY.features[: n_atoms // 2] if init in GROUND_TRUTH else None
    return InitRequest(n_atoms, DIM, generator, draw or TOY.sampler(seed), config, features)


@pytest.mark.parametrize("zero_rows", [False, True], ids=["toy", "toy-with-zero-rows"])
@pytest.mark.parametrize("n_atoms,dim", SHAPES)
@pytest.mark.parametrize("init", ALL)
def test_atoms_are_finite_unit_norm_and_of_the_right_shape(init, n_atoms, dim, zero_rows):
    toy = TOY.sampler(0)

    def draw(n: int) -> torch.Tensor:  # a quarter of the samples all zero, if asked
        x = toy(n)
        if zero_rows:
            x[::4] = 0
        return x

    W = initialize(toy_request(init, n_atoms, draw=draw)).W_dec
    assert W.shape == (n_atoms, dim) and W.dtype == torch.float32
    assert torch.isfinite(W).all()
    assert torch.allclose(W.norm(dim=1), torch.ones(n_atoms), atol=1e-5)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("init", ALL)
def test_a_non_finite_value_in_the_sample_is_refused(init, value):
    """One bad value in one sample: every init that draws refuses it with a ConfigError (the
    request's draw checks every sample); an init that draws nothing, such as orthogonal, has
    nothing to refuse."""
    toy, drawn = TOY.sampler(0), []

    def draw(n: int) -> torch.Tensor:
        x = toy(n)
        x[n // 2, 3] = value
        drawn.append(n)
        return x

    try:
        initialize(toy_request(init, draw=draw))
    except ConfigError as err:
        assert drawn, f"{init} refused the sample before drawing it"
        assert err.option == "init-samples" and "NaN or inf" in err.message
    else:
        assert not drawn, f"{init} drew a sample holding {value} and did not refuse it"


@pytest.mark.parametrize("init", ALL)
def test_the_seed_fixes_the_atoms_bit_for_bit(init):
    def atoms(seed: int) -> torch.Tensor:
        return initialize(toy_request(init, seed=seed)).W_dec

    first = atoms(0)
    assert torch.equal(first, atoms(0))
    assert not torch.allclose(first, atoms(1))


BAD_OPTIONS = [
    ("init", "nope"),
    ("init_samples", 0),
    ("init_samples", -1),
    ("encoder_samples", 0),
    ("encoder_samples", -1),
    ("encoder_sigmas", -0.5),
    ("svd_fill", "both"),
    ("rare_ratio", -0.1),
    ("rare_ratio", 1.5),
    ("rare_ratio", math.nan),
    ("rare_base", "nope"),
    *[("rare_base", name) for name in RARE],  # a rare init cannot be the base of one
    *[("rare_base", name) for name in GROUND_TRUTH],  # nor a bound that is not a method
    ("centroid_batch_size", 0),
    ("centroid_batch_size", -1),
    ("centroid_backend", "gpu"),
    ("lof_neighbors", 0),
    ("lof_neighbors", -1),
    ("isolation_trees", 0),
    ("isolation_subsample", 0),
    ("isolation_subsample", -5),
    ("mod_iters", -1),
    ("omp_k", 0),
    ("omp_k", -1),
    ("omp_candidates", -1),
    ("sae_mod_k", 0),
    ("sae_mod_iters", -1),
    ("omp_candidates", 5),  # fewer than --omp-k (6): a sample could not get its atoms
    ("oracle_noise", -0.1),
    ("oracle_noise", math.nan),
    ("oracle_noise", math.inf),
    ("thin_cosine", 0.0),
    ("thin_cosine", 1.0),
    ("thin_cosine", math.nan),
    ("thin_neighbors", 0),
]
"""(InitConfig field, a value it refuses): counts below their minimum, ratios outside [0, 1],
unknown choices."""


def test_every_init_option_has_a_refused_value_above():
    fields = {field.name for field in dataclasses.fields(InitConfig)}
    assert fields == {field for field, _ in BAD_OPTIONS}


@pytest.mark.parametrize("field,value", BAD_OPTIONS)
@pytest.mark.parametrize("init", ALL)
def test_a_bad_option_is_refused_naming_it(init, field, value):
    options = {"init": init, field: value}
    with pytest.raises(ConfigError) as err:
        InitConfig(**options)
    assert err.value.option == field.replace("_", "-")


@pytest.mark.parametrize("init", RARE)
def test_a_rare_ratio_that_rounds_to_no_rare_vector_is_refused(init):
    with pytest.raises(ConfigError) as err:
        initialize(toy_request(init, rare_ratio=0.01))  # round(0.32) = 0 of 32 atoms
    assert err.value.option == "rare-ratio" and "at least one" in err.value.message


@pytest.mark.parametrize("n_atoms", [32, 5])
@pytest.mark.parametrize("init", GROUND_TRUTH)
def test_an_init_built_from_the_ground_truth_refuses_a_request_without_it(init, n_atoms):
    request = dataclasses.replace(toy_request(init, n_atoms), features=None)
    with pytest.raises(ConfigError) as err:
        initialize(request)
    assert err.value.option == "init" and "ground-truth" in err.value.message


@pytest.mark.parametrize("init", GROUND_TRUTH)
def test_an_init_built_from_the_ground_truth_is_no_rare_base(init):
    assert init not in inits.choices()["rare_base"]
