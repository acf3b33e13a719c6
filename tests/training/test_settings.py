"""Run settings from flat options, saved configs of older versions, run folder names."""

import pytest

from saeinit.config import ConfigError
from saeinit.training.settings import (
    config_from_settings,
    run_folder_name,
    run_key,
    setting_names,
    stored_config,
)


def test_flat_settings_reach_their_sections_and_seed_seeds_both():
    config = config_from_settings({"scenario": "8x16", "k": 3, "mod_iters": 2, "seed": 4})
    assert (config.toy.dim, config.toy.features, config.toy.seed) == (8, 16, 4)
    assert (config.sae.k, config.init.mod_iters, config.train.seed) == (3, 2, 4)
    assert config_from_settings({"seed": 4, "data_seed": 9}).toy.seed == 9


def test_unknown_and_contradicting_settings_are_refused():
    with pytest.raises(ConfigError, match="unknown setting"):
        config_from_settings({"nope": 1})
    with pytest.raises(ConfigError) as err:
        config_from_settings({"scenario": "8x16", "dim": 9})
    assert err.value.option == "dim"
    assert {"scenario", "data_seed", "k", "l1", "dict_size"} <= setting_names()


def test_a_config_saved_before_the_toy_section_was_renamed_reads_as_today():
    assert stored_config({"data": {"dim": 8}, "train": {}}) == {"toy": {"dim": 8}, "train": {}}
    assert stored_config({"toy": {"dim": 8}}) == {"toy": {"dim": 8}}


def test_the_run_folder_is_init_seed_and_key():
    config = config_from_settings({"init": "data", "seed": 2, "scenario": "8x16"})
    assert run_folder_name(config) == f"data-seed2-{run_key(config)[:10]}"
