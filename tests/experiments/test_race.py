"""The race's library: its config, its numbers (hand-derived from fake runs) and a tiny race
for real, checked against the store it wrote and resumed from it."""

import pytest

from saeinit.config import ConfigError
from saeinit.experiments import ResultStore
from saeinit.experiments.race import (
    Crossing,
    entry_numbers,
    median_or_none,
    race,
    ratio,
    sklearn_race,
)
from saeinit.experiments.race_config import RaceConfig, entry_of, entry_settings
from saeinit.experiments.recommendation import RECIPES, RECOMMENDED


def fake_run(
    seed,
    init_seconds,
    crossings,
    start=0.3,
    end=0.99,
    fired=None,
    prefix="",
    history=None,
    init_samples=0,
):
    """A stored run as ResultStore.runs() gives it, with its history; crossings: {threshold:
    (step, samples, seconds) or None}, of MMCS or (prefix "live_") of live MMCS; history:
    (step, samples, seconds, value) rows of the same (default: the start at step 0 and the end
    at step 100, 10 s), all of training alone; init_samples: what the init drew."""
    rows = history or [(0, 0, 0.0, start), (100, 25600, 10.0, end)]
    other = "mmcs" if prefix else "live_mmcs"
    run = {"seed": seed, "init_seconds": init_seconds}
    run["history"] = [
        {"step": step, "samples": samples, "seconds": seconds, f"{prefix}mmcs": value, other: None}
        for step, samples, seconds, value in rows
    ]
    run |= {f"{prefix}mmcs_initial": start, f"{prefix}mmcs_final": end}
    for threshold in (95, 98, 99):
        hit = crossings.get(threshold)
        for part, value in zip(("step", "samples", "seconds"), hit or (None,) * 3, strict=True):
            run[f"{prefix}t{threshold}_{part}"] = value
    run["result"] = ({"features_fired": fired} if fired else {}) | {"init_samples": init_samples}
    return run


def test_median_or_none_counts_a_missed_threshold_as_slowest():
    assert median_or_none([3.0]) == 3.0
    assert median_or_none([None]) is None
    assert median_or_none([5.0, None, 1.0]) == 5.0  # 1, 5, inf
    assert median_or_none([5.0, 1.0, 3.0, None]) == 4.0  # 1, 3, 5, inf
    assert median_or_none([5.0, None]) is None  # half the seeds missed it: not reached
    assert median_or_none([None, 2.0, None]) is None


def test_ratio_is_baseline_over_best_or_says_why_there_is_none():
    names = ("orthogonal", "mod+fitted")
    assert ratio(1_953_280, 509_440, names) == "3.83x"
    assert ratio(30.0, 12.0, names) == "2.50x"
    assert ratio(100.0, None, names) == "not reached by mod+fitted"
    assert ratio(None, 100.0, names) == "not reached by orthogonal"
    assert ratio(None, None, names) == "neither reached it"
    assert ratio(1000, 0, names) == "mod+fitted starts at or above it"
    assert ratio(0, 0, names) == "both start at or above it"


def test_entries_map_to_settings_and_back():
    assert entry_settings("orthogonal") == {"init": "orthogonal"}
    assert entry_settings("mod+fitted") == {"init": "mod", "encoder_init": "fitted"}
    for entry in ("orthogonal", "mod+fitted", "data+tied"):
        assert entry_of(entry_settings(entry)) == entry
    assert entry_of({"init": "mod", "encoder_init": "default"}) == "mod"


def test_entry_numbers_are_medians_with_the_init_in_the_seconds():
    runs = [
        fake_run(0, 2.0, {95: (10, 2560, 1.0), 98: (30, 7680, 3.0)}, 0.9, 0.985, {"1": 16, "10": 15}),
        fake_run(1, 4.0, {95: (20, 5120, 2.0)}, 0.8, 0.97, {"1": 16, "10": 13}),
        fake_run(2, 3.0, {95: (0, 0, 0.0), 98: (50, 12800, 6.0)}, 0.96, 0.99, {"1": 15, "10": 12}),
    ]  # fmt: skip
    numbers = entry_numbers(runs)
    assert (numbers.mmcs_start, numbers.mmcs_end, numbers.init_seconds) == (0.9, 0.985, 3.0)
    # 0.95: samples 0, 2560, 5120; steps 0, 10, 20; seconds + init 3.0, 3.0, 6.0
    assert numbers.crossings[0.95] == Crossing(2560, 10, 3.0, 3)
    # 0.98: two seeds of three: samples 7680, 12800, inf; seconds + init 5.0, 9.0, inf
    assert numbers.crossings[0.98] == Crossing(12800, 50, 9.0, 2)
    assert numbers.crossings[0.99] == Crossing(None, None, None, 0)
    assert numbers.fired == (16, 13)
    assert entry_numbers([fake_run(0, 1.0, {})]).fired is None  # stored before it was recorded


def test_the_inits_own_samples_count_in_every_crossing_and_can_change_the_ratio():
    history = [(0, 0, 0.0, 0.96), (40, 10240, 4.0, 0.99)]
    runs = [
        fake_run(0, 2.0, {95: (0, 0, 0.0), 99: (40, 10240, 4.0)}, 0.96, history=history,
                 init_samples=20_000),
        fake_run(1, 2.0, {95: (0, 0, 0.0), 99: (40, 10240, 4.0)}, 0.96, history=history,
                 init_samples=30_000),
        fake_run(2, 2.0, {95: (0, 0, 0.0)}, 0.96, 0.97, history=history[:1], init_samples=40_000),
    ]  # fmt: skip
    numbers = entry_numbers(runs)
    assert numbers.init_samples == 30_000
    # 0.95 from the start: 20,000, 30,000, 40,000 samples; the training steps stay 0
    assert numbers.crossings[0.95] == Crossing(30_000, 0, 2.0, 3)
    # 0.99 by seeds 0 and 1: 10,240 + 20,000 and 10,240 + 30,000, seed 2 counted slowest
    assert numbers.crossings[0.99] == Crossing(40_240, 40, 6.0, 2)
    assert numbers.kept[0.95] == Crossing(30_000, 0, 2.0, 3)
    # the baseline drew none: 60,000 / 30,000, where training samples alone gave "starts at or
    # above it"
    baseline = entry_numbers([fake_run(0, 0.0, {95: (200, 60_000, 9.0)})])
    names = ("orthogonal", "modes+whitened")
    pair = (baseline.crossings[0.95].samples, numbers.crossings[0.95].samples)
    assert ratio(*pair, names) == "2.00x"
    assert ratio(60_000, 0, names) == "modes+whitened starts at or above it"
    old = fake_run(0, 1.0, {95: (10, 2560, 1.0)})
    del old["result"]["init_samples"]  # stored before it was recorded: counted as none
    assert entry_numbers([old]).init_samples is None
    assert entry_numbers([old]).crossings[0.95].samples == 2560


def test_kept_is_where_each_run_stays_above_the_threshold_to_its_end():
    runs = [
        fake_run(0, 2.0, {}, history=[(0, 0, 0.0, 0.9), (10, 2560, 1.0, 0.96), (30, 7680, 3.0, 0.985)]),
        fake_run(1, 4.0, {}, history=[(0, 0, 0.0, 0.8), (20, 5120, 2.0, 0.96), (40, 10240, 4.0, 0.97)]),
        fake_run(2, 3.0, {}, history=[(0, 0, 0.0, 0.96), (20, 5120, 2.0, 0.94), (50, 12800, 6.0, 0.99)]),
    ]  # fmt: skip
    kept = entry_numbers(runs).kept
    # 0.95: from steps 10, 20 and 50 (seed 2 starts above it, dips at step 20, is back at 50);
    # samples 2560, 5120, 12800; seconds + init 3.0, 6.0, 9.0
    assert kept[0.95] == Crossing(5120, 20, 6.0, 3)
    # 0.98: seeds 0 and 2 (7680 and 12800 samples, 5.0 and 9.0 s); seed 1 ends below it
    assert kept[0.98] == Crossing(12800, 50, 9.0, 2)
    assert kept[0.99] == Crossing(None, None, None, 1)  # seed 2 alone: not most seeds


def test_live_numbers_read_the_live_columns_only():
    mmcs = fake_run(0, 2.0, {95: (10, 2560, 1.0)}, 0.9, 0.99)
    live = fake_run(0, 2.0, {95: (40, 10240, 4.0)}, 0.7, 0.96, prefix="live_")
    numbers = entry_numbers([mmcs | live], live=True)
    assert (numbers.mmcs_start, numbers.mmcs_end) == (0.7, 0.96)
    assert numbers.crossings[0.95] == Crossing(10240, 40, 6.0, 1)  # 4.0 s + the 2.0 s init
    assert numbers.crossings[0.98] == Crossing(None, None, None, 0)
    assert entry_numbers([mmcs | live]).crossings[0.95] == Crossing(2560, 10, 3.0, 1)
    # the live history: 0.7 at step 0, 0.96 at step 100 (10 s, + 2 s of init)
    assert numbers.kept[0.95] == Crossing(25600, 100, 12.0, 1)


def test_a_live_race_trains_every_run_through_its_budget():
    runs = RaceConfig(measure="live").spec().points()
    assert runs and all(p.config.train.target_mmcs == 1.0 for p in runs)
    stopping = RaceConfig(measure="live", recipe="target_mmcs=0.9").spec().points()
    assert all(p.config.train.target_mmcs == 0.9 for p in stopping)  # a recipe may still stop


@pytest.mark.parametrize(
    ("settings", "option"),
    [
        ({"entries": "orthogonal"}, "entries"),
        ({"entries": "orthogonal nope"}, "entries"),
        ({"entries": "orthogonal mod+nope"}, "entries"),
        ({"entries": "mod mod"}, "entries"),
        ({"scenarios": "128"}, "scenarios"),
        ({"scenarios": ""}, "scenarios"),
        ({"scenarios": "8x16,8x16"}, "scenarios"),
        ({"seeds": "x"}, "seeds"),
        ({"seeds": "-1"}, "seeds"),
        ({"seeds": "0 0"}, "seeds"),
        ({"seeds": " "}, "seeds"),
        ({"out": ""}, "out"),
        ({"workers": 0}, "workers"),
        ({"sklearn_seconds": 0.0}, "sklearn-seconds"),
        ({"sklearn_seconds": -1.0}, "sklearn-seconds"),
        ({"max_steps": -1}, "max-steps"),
        ({"log_every": 0}, "log-every"),
        ({"l1": -1.0}, "l1"),
        ({"recipe": "k"}, "recipe"),
        ({"recipe": "seed=3"}, "recipe"),
        ({"recipe": "architecture=gated"}, "recipe"),
        ({"recipe": "k=-1"}, "recipe"),
        ({"recipe": "no_such_setting=1"}, "recipe"),
        ({"measure": "fvu"}, "measure"),
        ({"baseline_recipe": "k"}, "baseline-recipe"),
        ({"baseline_recipe": "seed=3"}, "baseline-recipe"),
        ({"baseline_recipe": "k=-1"}, "baseline-recipe"),
        ({"baseline_recipe": "no_such_setting=1"}, "baseline-recipe"),
        ({"baseline_recipe": "resample_threshold=0.3"}, "baseline-recipe"),  # needs resampling
        ({"recipe": "no_such_setting=1", "baseline_recipe": ""}, "recipe"),
    ],
)
def test_bad_settings_are_refused_naming_the_option(settings, option):
    with pytest.raises(ConfigError) as err:
        RaceConfig(**settings)
    assert err.value.option == option


def test_defaults_race_orthogonal_against_the_recommendation_on_128x256():
    config = RaceConfig()
    assert config.pair() == ("orthogonal", RECOMMENDED) == ("orthogonal", "modes+whitened")
    assert (config.scenario_list(), config.seed_list()) == (["128x256"], [0])
    assert (config.budget("128x256"), config.l1_of("128x256")) == (10_000, 0.1)
    assert config.store_path().as_posix() == "race/race.sqlite" and config.sklearn_seconds is None
    points = {entry_of(p.settings): p.config for p in config.spec().points()}
    assert sorted(points) == ["modes+whitened", "orthogonal"]
    assert all(run.train.target_mmcs == 0.99 for run in points.values())
    ours, reference = points["modes+whitened"], points["orthogonal"]
    assert (ours.init.init, ours.sae.encoder_init, ours.init.init_samples) == (
        "modes", "whitened", 131_072,
    )  # fmt: skip
    assert (ours.train.decoder_lr_scale, ours.train.lr_warmup_steps) == (0.1, 1000)
    assert (ours.train.l1_warmup_steps, ours.train.lr_decay_fraction) == (1000, 0.2)
    # orthogonal races under the reference recipe: the runs of the race before the
    # recommendation, so that their stores resume
    before = RaceConfig(entries="orthogonal mod+fitted").spec().points()
    assert reference == next(p.config for p in before if p.settings["init"] == "orthogonal")
    assert reference.train.decoder_lr_scale == 1.0 and reference.init.init_samples is None
    parsed = RaceConfig(scenarios="8x16, 16/32", seeds="3,1 2")
    assert (parsed.scenario_list(), parsed.seed_list()) == (["8x16", "16x32"], [3, 1, 2])


def test_the_recommended_init_races_under_each_scenarios_recipe_unless_one_is_given():
    config = RaceConfig(scenarios="128x512 128x1024 8x16")
    trains = {
        (p.settings["scenario"], entry_of(p.settings)): p.config for p in config.spec().points()
    }
    for scenario, init_samples, decoder in (
        ("128x512", 524_288, 0.1),
        ("128x1024", 1_048_576, 0.01),
    ):
        ours = trains[scenario, "modes+whitened"]
        assert (ours.init.init_samples, ours.train.decoder_lr_scale) == (init_samples, decoder)
        assert trains[scenario, "orthogonal"].train.decoder_lr_scale == 1.0
    assert trains["8x16", "modes+whitened"].init.init_samples is None  # no recipe measured there
    assert RECIPES["128x512"].text(20_000) == (
        "init_samples=524288 decoder_lr_scale=0.1 lr_warmup_steps=1000 l1_warmup_steps=1000 "
        "lr_decay_fraction=0.2"
    )
    for budget, warmup in ((500, 500), (0, 0)):  # a short race's warm-ups end within it
        (short,) = [
            p.config.train
            for p in RaceConfig(max_steps=budget).spec().points()
            if p.settings["init"] == "modes"
        ]
        assert (short.lr_warmup_steps, short.l1_warmup_steps) == (warmup, warmup)
    given = RaceConfig(scenarios="128x512", recipe="lr_decay_fraction=0.1").spec().points()
    assert {p.config.init.init_samples for p in given} == {None}
    assert {p.config.train.lr_decay_fraction for p in given} == {0.1}
    reference = RaceConfig(scenarios="128x512", recipe="").spec().points()
    assert {p.config.train.decoder_lr_scale for p in reference} == {1.0}


def test_a_recipe_reaches_every_run_with_its_values_typed():
    config = RaceConfig(recipe="architecture=topk k=6 auxk=true lr_decay_fraction=0.2")
    assert config.recipe_settings() == {
        "architecture": "topk", "k": 6, "auxk": True, "lr_decay_fraction": 0.2,
    }  # fmt: skip
    for point in config.spec().points():
        sae, train = point.config.sae, point.config.train
        assert (sae.architecture, sae.k, train.auxk, train.lr_decay_fraction) == (
            "topk", 6, True, 0.2,
        )  # fmt: skip


def test_a_baseline_recipe_reaches_the_baseline_alone_and_empty_means_the_reference():
    config = RaceConfig(
        entries="orthogonal mod+fitted data",
        recipe="decoder_lr_scale=0.1 lr_decay_fraction=0.2",
        baseline_recipe="resample_every=100 lr_decay_fraction=0.1",
    )
    trains = {entry_of(p.settings): p.config.train for p in config.spec().points()}
    assert (trains["orthogonal"].resample_every, trains["orthogonal"].lr_decay_fraction) == (
        100,
        0.1,
    )
    assert trains["orthogonal"].decoder_lr_scale == 1.0
    for entry in ("mod+fitted", "data"):
        assert (trains[entry].decoder_lr_scale, trains[entry].lr_decay_fraction) == (0.1, 0.2)
        assert trains[entry].resample_every is None
    reference = RaceConfig(recipe="decoder_lr_scale=0.1", baseline_recipe="").spec().points()
    plain = RaceConfig().spec().points()
    baseline = [p for p in reference if p.settings["init"] == "orthogonal"]
    assert [p.key for p in baseline] == [p.key for p in plain if p.settings["init"] == "orthogonal"]


TINY = dict(scenarios="8x16", max_steps=60, log_every=20, workers=2)


@pytest.fixture(scope="module")
def tiny_race(tmp_path_factory):
    config = RaceConfig(out=str(tmp_path_factory.mktemp("race") / "out"), **TINY)
    lines = []
    return config, race(config, echo=lines.append), lines


def test_a_tiny_race_measures_what_its_store_holds(tiny_race):
    config, result, lines = tiny_race
    assert (result.computed, result.stored) == (2, 0)
    assert lines == [f"2 SAE runs: 0 from {config.store_path()}, 2 to train "
                     "(2 at a time, one torch thread each)"]  # fmt: skip
    with ResultStore(config.store_path(), readonly=True) as store:
        stored = {(r["init"], r["settings"].get("encoder_init")): r for r in store.runs()}
    assert set(stored) == {("orthogonal", None), ("modes", "whitened")}
    (found,) = result.scenarios
    assert found.scenario == "8x16" and found.sklearn is None
    for entry, key in (("orthogonal", ("orthogonal", None)), (RECOMMENDED, ("modes", "whitened"))):
        run, numbers = stored[key], found.numbers[entry]
        assert run["settings"]["max_steps"] == 60 and run["settings"]["l1"] == 0.3
        assert numbers.mmcs_start == run["mmcs_initial"] and numbers.mmcs_end == run["mmcs_final"]
        assert numbers.init_seconds == run["init_seconds"]
        for threshold, crossing in numbers.crossings.items():
            tag = f"t{round(threshold * 100)}"
            if run[f"{tag}_samples"] is None:
                assert crossing == Crossing(None, None, None, 0)
            else:
                seconds = run[f"{tag}_seconds"] + run["init_seconds"]
                samples = run[f"{tag}_samples"] + run["result"]["init_samples"]
                assert crossing == Crossing(samples, run[f"{tag}_step"], seconds, 1)
        (history,) = [r["history"] for r in found.runs[entry]]
        steps = [row["step"] for row in history]  # every 20 steps, and the last
        assert steps == sorted({*range(0, run["steps"], 20), run["steps"]})


def test_a_live_race_measures_live_mmcs_from_the_same_kind_of_runs(tiny_race, tmp_path):
    config = RaceConfig(out=str(tmp_path), measure="live", **TINY)
    result = race(config)
    with ResultStore(config.store_path(), readonly=True) as store:
        stored = {r["init"]: r for r in store.runs()}
    numbers = result.scenarios[0].numbers
    for entry, init in (("orthogonal", "orthogonal"), (RECOMMENDED, "modes")):
        run = stored[init]
        assert run["steps"] == 60 and run["settings"]["target_mmcs"] == 1.0
        assert numbers[entry].mmcs_start == run["live_mmcs_initial"]
        assert numbers[entry].mmcs_end == run["live_mmcs_final"]
        assert numbers[entry].mmcs_end <= run["mmcs_final"]  # a live atom is also an atom


def test_a_second_call_computes_nothing(tiny_race):
    config, first, _ = tiny_race
    lines = []
    again = race(config, echo=lines.append)
    assert (again.computed, again.stored) == (0, 2)
    assert lines == [f"2 SAE runs: 2 from {config.store_path()}, 0 to train"]
    assert again.scenarios[0].numbers == first.scenarios[0].numbers


def test_scikit_learn_runs_whole_partial_fit_calls_and_counts_them():
    # The budget is checked between calls: a budget shorter than one call still runs one.
    outcome = sklearn_race("8x16", seed=0, budget_s=1e-6)
    assert outcome.batches == 1 and outcome.ran_seconds > 1e-6
    assert 0.0 < outcome.mmcs <= 1.0
