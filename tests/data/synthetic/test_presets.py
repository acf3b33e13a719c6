"""The presets are SynthSAEBench-16k exactly as SAELens' docs build it, and its 4k scaling."""

import pytest

from saeinit.config import ConfigError
from saeinit.data.synthetic import PRESETS, SyntheticConfig
from saeinit.data.synthetic.presets import preset

synthetic = pytest.importorskip("sae_lens.synthetic")


def published_16k():
    """SynthSAEBench-16k as SAELens' docs/synth_sae_bench.md builds it."""
    s = synthetic
    return s.SyntheticModelConfig(
        num_features=16_384,
        hidden_dim=768,
        firing_probability=s.ZipfianFiringProbabilityConfig(
            exponent=0.5, max_prob=0.4, min_prob=5e-4
        ),
        hierarchy=s.HierarchyConfig(
            total_root_nodes=128,
            branching_factor=4,
            max_depth=3,
            mutually_exclusive_portion=1.0,
            mutually_exclusive_min_depth=0,
            compensate_probabilities=True,
            scale_children_by_parent=True,
        ),
        orthogonalization=s.OrthogonalizationConfig(num_steps=100, lr=3e-4),
        correlation=s.LowRankCorrelationConfig(rank=25, correlation_scale=0.1),
        mean_firing_magnitudes=s.LinearMagnitudeConfig(start=5.0, end=4.0),
        std_firing_magnitudes=s.FoldedNormalMagnitudeConfig(mean=0.5, std=0.5),
        bias=0.5,
        seed=42,
    )


def parsed(name):
    return synthetic.SyntheticModelConfig.from_dict(preset(name)).to_dict()


def test_16k_preset_is_the_published_configuration():
    assert parsed("synthsaebench-16k") == published_16k().to_dict()


def test_4k_preset_changes_only_the_size():
    small, big = parsed("synthsaebench-4k"), published_16k().to_dict()
    assert (small["num_features"], small["hidden_dim"]) == (4096, 192)
    assert small["num_features"] / small["hidden_dim"] == big["num_features"] / big["hidden_dim"]
    assert small["hierarchy"]["total_root_nodes"] == 32
    small["hierarchy"]["total_root_nodes"] = 128
    assert small | {"num_features": 16_384, "hidden_dim": 768} == big


def test_presets_are_copies():
    preset("synthsaebench-4k")["hierarchy"]["total_root_nodes"] = 1
    assert PRESETS["synthsaebench-4k"]["hierarchy"]["total_root_nodes"] == 32


@pytest.mark.parametrize(
    "name, message",
    [("synthsaebench-8k", "unknown world 'synthsaebench-8k'"), ("nowhere.json", "not a file")],
)
def test_unknown_world_is_refused_naming_the_option(name, message):
    with pytest.raises(ConfigError, match=message) as err:
        SyntheticConfig(synthetic=name)
    assert err.value.option == "synthetic"


def test_negative_sample_count_is_refused():
    with pytest.raises(ConfigError, match="synthetic-samples"):
        SyntheticConfig(synthetic="synthsaebench-4k", synthetic_samples=-1)
