"""Run settings from flat options, saved configs of older versions, run folder names."""

import pytest

from saeinit.config import ConfigError
from saeinit.training.settings import (
    config_from_settings,
    one_draw_toy_dataset,
    run_folder_name,
    run_key,
    setting_names,
    step_unit,
    stored_config,
)


def test_flat_settings_reach_their_sections_and_seed_seeds_both():
    settings = {"scenario": "8x16", "architecture": "topk", "k": 3, "mod_iters": 2, "seed": 4}
    config = config_from_settings(settings)
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


def test_step_unit_reads_what_a_stored_result_counted_in_a_step():
    toy = {"toy": {"dim": 8, "dataset_size": None}, "data_file": None}
    fixed = {"toy": {"dim": 8, "dataset_size": 500}, "data_file": None}
    npz = {"toy": {"dim": 8, "dataset_size": None}, "data_file": "/d/x.npz"}
    acts = {
        "toy": {"dim": 8, "dataset_size": None},
        "data_file": None,
        "acts": {"activations": "a"},
    }
    # results saved since steps mean batches everywhere record it
    for config in (toy, fixed, npz):
        assert step_unit({"config": config, "step_unit": "batch"}) == "batch"
    # older results: a step on a fixed dataset was one epoch; on a stream, one batch
    assert step_unit({"config": fixed}) == step_unit({"config": npz}) == "epoch"
    assert step_unit({"config": toy}) == step_unit({"config": acts}) == "batch"
    assert step_unit({"config": {"data": {"dataset_size": 500}}}) == "epoch"  # before the rename
    assert step_unit({"config": {"data": {"dataset_size": None}}}) == "batch"


def test_a_fresh_result_records_batch_steps_and_step_unit_reads_it(fast_train):
    from saeinit.training.run import run

    settings = {"scenario": "8x16", "dataset_size": 100, "max_steps": 0} | fast_train
    result = run(config_from_settings(settings)).result
    assert result["step_unit"] == "batch" and step_unit(result) == "batch"
    assert step_unit({k: v for k, v in result.items() if k != "step_unit"}) == "epoch"


def test_a_batch_above_the_dataset_size_is_refused_saying_why():
    with pytest.raises(ConfigError) as err:
        config_from_settings({"dataset_size": 100, "batch_size": 101})
    assert err.value.option == "batch-size" and "whole dataset (100 samples)" in err.value.message
    assert config_from_settings({"dataset_size": 100, "batch_size": 100}).train.batch_size == 100


def test_init_settings_with_start_from_are_refused_for_the_cli_and_grids_alike():
    with pytest.raises(ConfigError) as err:
        config_from_settings({"start_from": "sae", "mod_iters": 3})
    assert err.value.option == "mod-iters" and "would be ignored" in err.value.message
    with pytest.raises(ConfigError) as err:
        config_from_settings({"start_from": "sae", "encoder_init": "tied"})
    assert err.value.option == "encoder-init"
    assert config_from_settings({"start_from": "sae", "seed": 2}).start_from == "sae"


def test_only_a_fixed_toy_dataset_result_without_its_draw_is_a_one_draw_dataset():
    def result(toy: dict, data_file=None, **fields) -> dict:
        config = {"toy": {"dim": 8} | toy, "data_file": data_file, "acts": {"activations": None}}
        return {"config": config} | fields

    assert one_draw_toy_dataset(result({"dataset_size": 500}))
    assert not one_draw_toy_dataset(result({"dataset_size": 500}, toy_dataset_draw="batches"))
    assert not one_draw_toy_dataset(result({"dataset_size": None}))  # a stream
    assert not one_draw_toy_dataset(result({"dataset_size": None}, data_file="/d/x.npz"))
    assert one_draw_toy_dataset({"config": {"data": {"dataset_size": 500}}})  # before the rename
