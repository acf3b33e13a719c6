"""Grouping runs into conditions and what their seeds measured, on hand-made runs."""

import math

import numpy as np

from saeinit.reports.aggregate import (
    SAMPLES,
    TOTAL_SECONDS,
    TRAIN_SECONDS,
    Condition,
    Outcomes,
    condition_label,
    find,
    group_runs,
    history_curve,
    measured,
    mmcs_curve,
    outcomes,
    scenario_of,
    variants,
)


def saved(config: dict, **result) -> dict:
    """A stored run whose saved result has this config; its scenario column is stale, as in a
    store written before runs were labelled by their data."""
    return {"scenario": "128x256", "result": {"config": config} | result}


def test_a_runs_scenario_is_read_from_its_saved_config_old_or_new():
    toy = {"dim": 8, "features": 16}
    assert scenario_of(saved({"toy": toy})) == "8x16"
    assert scenario_of(saved({"data": toy})) == "8x16"  # stored before the rename
    npz = {"toy": toy, "data_file": "/d/x.npz", "acts": {"activations": None}}
    assert scenario_of(saved(npz)) == "npz:/d/x.npz"
    acts = {"toy": toy, "acts": {"activations": "/a/L2"}}
    assert scenario_of(saved(acts)) == "activations:/a/L2"
    hooked = saved(acts, data_info={"model": "minilm", "hook_name": "blocks.2.hook_resid_post"})
    assert scenario_of(hooked) == "minilm blocks.2.hook_resid_post"
    assert scenario_of({"scenario": "32x64"}) == "32x64"  # hand-made: no saved result


def test_conditions_order_toy_scenarios_by_size_then_real_data_by_name(fake_run):
    runs = [fake_run("data", scenario=s) for s in ("npz:/b.npz", "128x512", "m L2", "16x16")]
    runs.append(fake_run("orthogonal", scenario="16x16"))
    order = [(c.scenario, c.init) for c in group_runs(runs)]
    assert order == [
        ("16x16", "orthogonal"),  # the registry lists orthogonal before data
        ("16x16", "data"),
        ("128x512", "data"),
        ("m L2", "data"),
        ("npz:/b.npz", "data"),
    ]


def test_runs_that_differ_in_other_settings_are_variants_not_pooled(fake_run):
    def run(init, seed, **settings):
        base = {"scenario": "128x256", "init": init, "seed": seed, "l1": 0.1}
        return fake_run(init, seed=seed, settings=base | settings)

    runs = [run(init, seed, dict_size=size) for init in ("mod", "data") for size in (128, 512)
            for seed in (0, 1)]  # fmt: skip
    runs += [fake_run("data", scenario="128x512", settings={"init": "data", "seed": 0})]
    groups = group_runs(runs)
    labels = [condition.label for condition in groups]
    assert labels == [
        "data [dict_size=128]",
        "mod [dict_size=128]",
        "data [dict_size=512]",
        "mod [dict_size=512]",
        "data",  # the other scenario varies in nothing
    ]
    assert all(len(seeds) == 2 for seeds in list(groups.values())[:4])
    by_init = group_runs(runs, order=Condition.init_key)
    assert [condition.label for condition in by_init][:4] == [
        "data [dict_size=128]",
        "data [dict_size=512]",
        "mod [dict_size=128]",
        "mod [dict_size=512]",
    ]


def test_a_setting_the_grouping_names_is_no_variant(fake_run):
    runs = [
        fake_run("data", seed=seed, settings={"activations": path, "l1": l1})
        for seed, (path, l1) in enumerate([("/a", 0.1), ("/b", 0.1), ("/a", 0.3)])
    ]
    assert variants(runs) == [
        "activations=/a, l1=0.1",
        "activations=/b, l1=0.1",
        "activations=/a, l1=0.3",
    ]
    assert variants(runs, named={"activations"}) == ["l1=0.1", "l1=0.1", "l1=0.3"]


def test_condition_labels_name_the_ratio_in_percent_and_the_variant():
    assert condition_label("orthogonal", None) == "orthogonal"
    assert condition_label("centroid", 0.05, "dict_size=512") == "centroid 5% [dict_size=512]"
    assert Condition("8x16", "outliers", 0.125, "k=4").short_label == "outliers 12.5%"


def test_find_matches_a_ratio_to_rounding_and_measured_skips_runs_without_the_column(fake_run):
    runs = [fake_run("centroid", ratio=0.05, scenario="8x16", mmcs_initial=None)]
    runs.append(fake_run("centroid", ratio=0.05, seed=1, scenario="8x16", mmcs_initial=0.4))
    groups = group_runs(runs)
    assert find(groups, "8x16", "centroid", 0.1 / 2) == runs
    assert find(groups, "8x16", "centroid", 0.06) == []
    assert find(groups, "8x16", "centroid") == []  # a rare init needs its ratio
    assert measured(runs, "mmcs_initial") == [0.4]


def test_outcomes_keep_unreached_runs_apart_and_add_init_seconds(fake_run):
    runs = [fake_run("data", (100, 200, 300)), fake_run("data", (100, None, None), seed=1)]
    # make_run: 256 samples and 10 ms a step, 1000 steps, 10 s of training, 2 s of init.
    assert outcomes(runs, 0.99, SAMPLES) == Outcomes([300 * 256], [256_000])
    assert outcomes(runs, 0.98, TRAIN_SECONDS) == Outcomes([2.0], [10.0])
    assert outcomes(runs, 0.95, TOTAL_SECONDS) == Outcomes([3.0, 3.0], [])
    assert outcomes(runs, 0.98, TOTAL_SECONDS) == Outcomes([4.0], [12.0])


def test_the_samples_measure_adds_the_inits_own_samples(fake_run):
    runs = [fake_run("data", (100, 200, 300)), fake_run("data", (100, None, None), seed=1)]
    for run in runs:
        run["result"] = {"init_samples": 4096}
    # 100 steps of 256 samples plus the init's 4,096; the unreached run's bound 256,000 + 4,096
    assert outcomes(runs, 0.95, SAMPLES) == Outcomes([29_696, 29_696], [])
    assert outcomes(runs, 0.99, SAMPLES) == Outcomes([80_896], [260_096])


def test_an_unreached_threshold_counts_as_slower_than_any_reached_one():
    assert Outcomes([100, 200], [1000]).median() == 200
    assert math.isinf(Outcomes([100], [1000]).median())
    assert Outcomes([300, 100, 200], []).median() == 200
    assert math.isnan(Outcomes([], []).median())


def history(steps_and_mmcs):
    return [{"step": step, "mmcs": mmcs} for step, mmcs in steps_and_mmcs]


def test_mmcs_curve_keeps_a_stopped_runs_last_value_but_ends_a_budget_run():
    stopped_early = history([(0, 0.5), (100, 0.99)])
    ran_to_300 = history([(0, 0.3), (100, 0.7), (200, 0.8), (300, 0.9)])
    curve = mmcs_curve([stopped_early, ran_to_300], [True, False])
    assert curve.x.tolist() == [0, 100, 200, 300]
    assert np.allclose(curve.mean, [0.4, 0.845, 0.895, 0.945])
    assert np.allclose(curve.low, [0.3, 0.7, 0.8, 0.9])
    assert np.allclose(curve.high, [0.5, 0.99, 0.99, 0.99])
    short_budget = history([(0, 0.2), (100, 0.4)])
    ended = mmcs_curve([short_budget, ran_to_300], [False, False])
    assert np.allclose(ended.mean, [0.25, 0.55, 0.8, 0.9])  # only ran_to_300 after step 100
    assert mmcs_curve([history([(0, None)])], [False]) is None


def test_history_curve_spans_the_steps_every_run_logged():
    first = [{"step": 0, "seconds": 0.0, "fvu": 1.0}, {"step": 5, "seconds": 1.0, "fvu": 0.4},
             {"step": 10, "seconds": 2.0, "fvu": 0.2}]  # fmt: skip
    second = [{"step": 0, "seconds": 0.0, "fvu": 0.8}, {"step": 5, "seconds": 3.0, "fvu": 0.6}]
    by_steps = history_curve([first, second], "step", "fvu")
    assert by_steps.x.tolist() == [0, 5]  # step 10: only the first run logged it
    assert np.allclose(by_steps.mean, [0.9, 0.5])
    assert np.allclose(by_steps.low, [0.8, 0.4])
    assert np.allclose(by_steps.high, [1.0, 0.6])
    by_seconds = history_curve([first, second], "seconds", "fvu")
    assert by_seconds.x.tolist() == [0.0, 2.0]  # mean seconds over runs at steps 0 and 5
    assert np.allclose(by_seconds.mean, by_steps.mean)
