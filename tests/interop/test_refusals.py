"""Bad arguments to the Python API and the adapters: one ConfigError naming the argument."""

import sys

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.interop import initial_weights
from saeinit.interop.adapters import fill_dictionary_learning, fill_saelens, fill_sparsify

X = torch.randn(500, 8, generator=torch.Generator().manual_seed(0))


def refused(argument: str, call, *args, **kwargs) -> str:
    with pytest.raises(ConfigError) as err:
        call(*args, **kwargs)
    assert err.value.option == argument and "\n" not in str(err.value)
    return err.value.message


@pytest.mark.parametrize("dtype", [torch.complex64, torch.bool])
def test_activations_that_are_not_real_numbers_are_refused(dtype):
    message = refused("activations", initial_weights, X.to(dtype), 16, progress=False)
    assert message == f"holds {dtype} values; pass real numbers"


@pytest.mark.parametrize("dict_size", [2.5, 16.0, True, 0])
def test_dict_size_must_be_an_integer(dict_size):
    message = refused("dict_size", initial_weights, X, dict_size, progress=False)
    assert message == f"must be an integer >= 1, got {dict_size!r}"


@pytest.mark.parametrize(
    "features,expected",
    [
        (torch.randn(16, 5), "features must be G x 8 with G >= 1, got (16, 5)"),
        (torch.randn(16), "features must be G x 8 with G >= 1, got (16,)"),
        (torch.full((4, 8), float("nan")), "features contains NaN or inf (32 NaN, 0 inf)"),
    ],
)
def test_oracle_features_of_the_wrong_shape_or_values_name_features(features, expected):
    kwargs = {"init": "oracle", "features": features, "progress": False}
    assert refused("features", initial_weights, X, 16, **kwargs) == expected


@pytest.fixture(scope="module")
def good():
    return initial_weights(X, 16, init="data", encoder_init="tied", progress=False)


@pytest.fixture
def saelens_sae():
    from sae_lens import StandardSAE, StandardSAEConfig

    return StandardSAE(StandardSAEConfig(d_in=8, d_sae=16))


@pytest.mark.parametrize("name", ["W_enc", "b_enc", "W_dec", "b_dec"])
def test_weights_holding_nan_or_inf_are_refused_and_the_sae_left_as_it_was(good, saelens_sae, name):
    before = {key: value.clone() for key, value in saelens_sae.state_dict().items()}
    bad = good._replace(**{name: getattr(good, name).clone().fill_(float("inf"))})
    message = refused("weights", fill_saelens, saelens_sae, bad)
    assert message == f"{name} is not a tensor of finite numbers (NaN or inf)"
    after = saelens_sae.state_dict()
    assert all(torch.equal(before[key], after[key]) for key in before)


def test_a_tuple_is_not_initial_weights(good, saelens_sae):
    message = refused("weights", fill_saelens, saelens_sae, tuple(good))
    assert message == "expected InitialWeights (as initial_weights returns), got tuple"


@pytest.mark.parametrize(
    "fill,module,argument,package",
    [
        (fill_dictionary_learning, "dictionary_learning", "ae", "dictionary-learning"),
        (fill_saelens, "sae_lens", "sae", "sae-lens"),
        (fill_sparsify, "sparsify", "coder", "eai-sparsify"),
    ],
)
def test_a_missing_library_names_the_package_to_install(
    good, monkeypatch, fill, module, argument, package
):
    for name in [m for m in sys.modules if m == module or m.startswith(f"{module}.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    message = refused(argument, fill, object(), good)
    assert message == f"filling it needs {module}: pip install {package}"
