"""initial_weights: the informed init of `saeinit init` from activations in memory."""

import math

import numpy as np
import pytest
import torch

from saeinit.cli import main
from saeinit.config import ConfigError
from saeinit.interop import InitialWeights, initial_weights
from saeinit.metrics import mmcs
from saeinit.models.io import load_sae


def test_weights_have_saelens_shapes_and_unit_atoms_and_b_dec_its_init(toy, weights):
    assert isinstance(weights, InitialWeights)
    shapes = [tuple(t.shape) for t in weights]
    assert shapes == [(16, 32), (32,), (32, 16), (16,)]
    assert torch.allclose(weights.W_dec.norm(dim=1), torch.ones(32), atol=1e-5)
    assert torch.allclose(weights.b_dec, toy[0].mean(dim=0), atol=1e-5)


def test_the_default_mod_init_finds_the_features(toy):
    x, features = toy
    weights = initial_weights(x, 32)
    assert mmcs(weights.W_dec, features) > 0.8 and not weights.b_dec.any()


def test_the_same_rows_and_seed_give_what_saeinit_init_writes(tmp_path, toy):
    x = toy[0]
    np.savez(tmp_path / "x.npz", x=x.numpy())
    args = ["init", "--data", str(tmp_path / "x.npz"), "--dict-size", "32", "--init", "mod"]
    args += ["--encoder-init", "fitted", "--b-dec", "zeros", "--threads", "1", "--seed", "3"]
    assert main([*args, "--eval-samples", "64", "--save", str(tmp_path / "sae")]) == 0
    saved = load_sae(tmp_path / "sae")
    ours = initial_weights(x, 32, "mod", "fitted", "zeros", seed=3)
    for name, value in ours._asdict().items():
        assert torch.allclose(getattr(saved, name).detach(), value, atol=1e-6), name


def test_an_iterator_of_batches_reads_its_first_rows_as_one_sample_and_an_array_is_a_tensor(toy):
    x = toy[0]
    batches = iter(x[:1200].split(100))
    from_batches = initial_weights(batches, 32, "data", "tied", samples=1000)
    from_tensor = initial_weights(x[:1000], 32, "data", "tied")
    for a, b in zip(from_batches, from_tensor, strict=True):
        assert torch.equal(a, b)
    assert len(list(batches)) == 2  # batches past the samples asked for are left unread
    from_array = initial_weights(x[:1000].numpy(), 32, "data", "tied")
    assert torch.equal(from_array.W_dec, from_tensor.W_dec)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_the_device_reaches_the_run_and_the_weights_come_back_on_the_cpu(toy):
    x = toy[0][:600]
    refused("device", "torch sees no CUDA GPU", x, 32, device="cuda")
    on_cpu = initial_weights(x, 32, "mod", "tied", device="cpu")
    auto = initial_weights(x, 32, "mod", "tied", device="auto")  # the CPU here
    assert all(
        torch.equal(a, b) and b.device.type == "cpu" for a, b in zip(on_cpu, auto, strict=True)
    )


def test_init_options_reach_the_init(toy):
    x = toy[0]
    few = initial_weights(x, 32, "mod", "default", mod_iters=0)
    more = initial_weights(x, 32, "mod", "default", mod_iters=3)
    assert not torch.equal(few.W_dec, more.W_dec)


def test_a_long_init_prints_its_stages_unless_progress_is_off(toy, capsys, monkeypatch):
    from saeinit.training import progress

    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)  # every init counts as long
    quiet = initial_weights(toy[0], 32, "mod", "fitted", mod_iters=2, progress=False)
    assert capsys.readouterr().err == ""
    loud = initial_weights(toy[0], 32, "mod", "fitted", mod_iters=2)
    stages = [line.split("  ")[0] for line in capsys.readouterr().err.splitlines()]
    assert stages == [
        "init mod: round 1/2",
        "init mod: round 2/2",
        "init mod: 32 atoms",
        "init mod: encoder fitted",
    ]
    assert torch.equal(quiet.W_dec, loud.W_dec)  # the weights do not depend on it


def test_the_oracle_takes_the_features_given(toy):
    x, features = toy
    weights = initial_weights(x, 32, "oracle", "tied", features=features)
    assert mmcs(weights.W_dec, features) == pytest.approx(1.0, abs=1e-5)


def refused(argument: str, match: str, *args, **kwargs) -> None:
    with pytest.raises(ConfigError, match=match) as caught:
        initial_weights(*args, **kwargs)
    assert caught.value.option == argument
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "activations,match",
    [
        (torch.zeros(0, 16), "is empty"),
        (iter([]), "gave no batches"),
        (torch.zeros(40, 4, 4), r"got shape \(40, 4, 4\)"),
    ],
)
def test_an_empty_or_misshapen_sample_is_refused_naming_activations(activations, match):
    refused("activations", match, activations, 32)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_or_inf_activations_are_refused_naming_activations(toy, bad):
    x = toy[0].clone()
    x[7, 3] = bad
    refused("activations", "1 of its 2000 samples hold NaN or inf", x, 32)
    refused("activations", "NaN or inf", iter(x.split(500)), 32)


def test_a_dictionary_the_sample_cannot_fill_is_refused_naming_activations(toy):
    refused("activations", "holds 20 samples, fewer than the dict_size of 32", toy[0][:20], 32)


def test_an_init_that_needs_ground_truth_is_refused_without_features(toy):
    refused("features", "pass features", toy[0], 32, "oracle")


def test_bad_settings_are_refused_naming_the_argument(toy):
    x = toy[0]
    refused("dict_size", "an integer >= 1, got 0", x, 0)
    refused("init", "unknown init", x, 32, "nope")
    refused("encoder_init", "must be one of", x, 32, encoder_init="nope")
    refused("omp_k", "more than the 32 atoms", x, 32, omp_k=40, omp_candidates=64)
    refused("lr", "is not an init setting", x, 32, lr=0.1)
    refused("device", "must be one of cpu, cuda, auto", x, 32, device="tpu")
    refused("samples", ">= 1", iter([x]), 32, samples=0)
    refused("init_samples", "asks for 2001 samples but the data holds 2000", x, 32,
            init_samples=2001)  # fmt: skip
    refused("encoder_samples", "holds 1000", iter([x]), 32, samples=1000, encoder_samples=4096)
