"""A tuning study's settings, its identity and the space its trials search."""

import optuna
import pytest

from saeinit.config import ConfigError
from saeinit.experiments.tune import suggest
from saeinit.experiments.tune_config import TuneConfig, search_space
from saeinit.inits import InitConfig


def test_a_study_is_named_by_what_its_objective_depends_on():
    config = TuneConfig(init="outliers", scenario="16x32", bases="data,svd")
    assert config.identity() == {
        "init": "outliers", "scenario": "16x32", "l1": 0.1, "target_mmcs": 0.99,
        "max_steps": 10_000, "seeds": 3, "bases": ["data", "svd"],
    }  # fmt: skip
    same = TuneConfig(init="outliers", scenario="16x32", bases="data,svd", threads=2, trials=5)
    other = TuneConfig(init="outliers", scenario="16x32", bases="data,svd", l1=0.2)
    assert same.name() == config.name() != other.name()
    assert config.name().startswith("outliers-16x32-")


@pytest.mark.parametrize("init", ["average", "centroid", "mixture", "outliers", "isolation"])
def test_every_point_of_the_search_space_is_a_valid_init_config(init):
    config = TuneConfig(init=init, scenario="128x256", bases="data,mod")
    knobs = {knob.name: knob for knob in search_space(config)}
    assert knobs["rare_ratio"].low == 1 / 256 and knobs["rare_ratio"].high == 0.2
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        options = suggest(study.ask(), config)
        assert options["rare_base"] in ("data", "mod")
        assert round(options["rare_ratio"] * 256) >= 1
        InitConfig(init=init, **options)
        assert options.get("lof_neighbors", 0) < options["init_samples"]
        assert options.get("isolation_subsample", 0) <= options["init_samples"]
    if init == "outliers":
        assert knobs["init_samples"].high == 8192  # LOF's cost is the square of its sample


@pytest.mark.parametrize(
    "options,option",
    [
        ({"init": "orthogonal"}, "init"),
        ({"scenario": "128by256"}, "scenario"),
        ({"seeds": 0}, "seeds"),
        ({"trials": -1}, "trials"),
        ({"threads": 0}, "threads"),
        ({"bases": "data,outliers"}, "bases"),
        ({"bases": "nope"}, "bases"),
        ({"baselines": "orthogonal,nope"}, "baselines"),
        ({"l1": -1.0}, "l1"),
        ({"target_mmcs": 1.5}, "target-mmcs"),
        ({"max_steps": 0}, "max-steps"),
        ({"study": ""}, "study"),
    ],
)
def test_bad_options_name_the_option(options, option):
    with pytest.raises(ConfigError) as err:
        TuneConfig(**options)
    assert err.value.option == option
