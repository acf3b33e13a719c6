"""The race's table and figure, from fake runs whose numbers are derived here by hand."""

from saeinit.experiments.race import (
    Crossing,
    RaceResult,
    ScenarioRace,
    SklearnOutcome,
    entry_numbers,
)
from saeinit.experiments.race_config import RaceConfig
from saeinit.reports.race import crossing_cell, race_figure, race_lines, sklearn_lines


def fake_run(seed, init_seconds, crossings, start, end, target=0.99, init_samples=0):
    """A stored run with its history; crossings: {threshold: (step, samples, seconds)} of
    training alone, the same for MMCS and live MMCS, and its live MMCS 0.01 below its MMCS in
    every row."""
    run = {"seed": seed, "init_seconds": init_seconds, "mmcs_initial": start, "mmcs_final": end}
    run |= {"live_mmcs_initial": start - 0.01, "live_mmcs_final": end - 0.01}
    for threshold in (95, 98, 99):
        hit = crossings.get(threshold, (None, None, None))
        for part, value in zip(("step", "samples", "seconds"), hit, strict=True):
            run[f"t{threshold}_{part}"] = run[f"live_t{threshold}_{part}"] = value
    config = {"train": {"batch_size": 256, "target_mmcs": target}}
    run["result"] = {"config": config, "features_fired": {"1": 256, "10": 255}}
    run["result"]["init_samples"] = init_samples
    last = max([0] + [hit[0] for hit in crossings.values()])
    run["history"] = [
        {"step": 0, "samples": 0, "seconds": 0.0, "mmcs": start, "live_mmcs": start - 0.01},
        {"step": last, "samples": last * 256, "seconds": last / 200, "mmcs": end,
         "live_mmcs": end - 0.01},
    ]  # fmt: skip
    return run


ORTHOGONAL = fake_run(0, 0.01, {95: (5170, 1_323_520, 23.12), 98: (6250, 1_600_000, 27.88)},
                      0.249, 0.985)  # fmt: skip
MOD = fake_run(0, 5.0, {95: (0, 0, 0.0), 98: (970, 248_320, 4.94), 99: (1990, 509_440, 10.05)},
               0.962, 0.99, init_samples=32_768)  # fmt: skip


def fake_result(sklearn=None, sklearn_seconds=None, measure="mmcs", runs=None, **recipes):
    # orthogonal, mod+fitted, 128x256
    config = RaceConfig(
        entries="orthogonal mod+fitted", sklearn_seconds=sklearn_seconds, measure=measure, **recipes
    )
    runs = runs or {"orthogonal": [ORTHOGONAL], "mod+fitted": [MOD]}
    numbers = {entry: entry_numbers(found, config.live()) for entry, found in runs.items()}
    return RaceResult(config, [ScenarioRace("128x256", numbers, runs, sklearn)], 2, 0, [])


def row(label, cells, ratio=""):
    """A table row as the race prints it: a 32-wide label, 14-wide cells, then the ratio."""
    return (f"{label:<32}" + "".join(f"{cell:>14}" for cell in cells) + f"   {ratio}").rstrip()


def test_the_table_counts_the_inits_samples_in_every_samples_figure_and_ratio():
    lines = race_lines(fake_result())
    assert lines[1] == (
        "toy 128x256, seed 0; L1 0.1, batch 256; each run stops at 0.99 MMCS or after 10,000 steps"
    )
    assert lines[2:] == [
        row("", ["orthogonal", "mod+fitted"], "orthogonal / mod+fitted"),
        row("MMCS at the start", ["0.2490", "0.9620"]),
        row("MMCS at the end", ["0.9850", "0.9900"]),
        row("init seconds", ["0.01", "5.00"]),
        row("init samples", ["0", "32,768"]),
        # mod starts above 0.95, but its init drew 32,768 samples: 1,323,520 / 32,768
        row("0.95 MMCS: samples (+init)", ["1,323,520", "32,768"], "40.39x"),
        row("  training steps", ["5,170", "0"]),
        row("  seconds (+init)", ["23.13", "5.00"], "4.63x"),  # 23.13 / 5.00
        # the history rows: orthogonal 0.249 at step 0, 0.985 at 6,250 (31.25 s); mod 0.962
        # at step 0, 0.99 at 1,990 (9.95 s)
        row("  stays from: samples (+init)", ["1,600,000", "32,768"], "48.83x"),
        row("  stays from: s (+init)", ["31.26", "5.00"], "6.25x"),  # 31.26 / 5.00
        # 248,320 + 32,768 = 281,088; 1,600,000 / 281,088 (6.44x without the init's samples)
        row("0.98 MMCS: samples (+init)", ["1,600,000", "281,088"], "5.69x"),
        row("  training steps", ["6,250", "970"]),
        row("  seconds (+init)", ["27.89", "9.94"], "2.81x"),  # 27.89 / 9.94
        # 0.962 < 0.98: from step 1,990, 509,440 + 32,768 = 542,208; 1,600,000 / 542,208
        row("  stays from: samples (+init)", ["1,600,000", "542,208"], "2.95x"),
        row("  stays from: s (+init)", ["31.26", "14.95"], "2.09x"),  # 31.26 / 14.95
        row("0.99 MMCS: samples (+init)", ["not reached", "542,208"], "not reached by orthogonal"),
        row("  training steps", ["not reached", "1,990"]),
        row("  seconds (+init)", ["not reached", "15.05"], "not reached by orthogonal"),
        row(
            "  stays from: samples (+init)", ["not reached", "542,208"], "not reached by orthogonal"
        ),
        row("  stays from: s (+init)", ["not reached", "14.95"], "not reached by orthogonal"),
        row("features fired 1+, 10+", ["256, 255", "256, 255"]),
        "samples (+init), seconds (+init): a run's training samples and seconds to the",
        "threshold plus its init's own samples and seconds, each run on one torch thread;",
        "the last column is baseline / best; stays from: the first history row from",
        "which every later one is at or above the threshold",
    ]


def test_runs_stored_before_init_samples_were_recorded_say_so():
    old = fake_run(0, 5.0, {95: (0, 0, 0.0)}, 0.962, 0.99)
    del old["result"]["init_samples"]
    lines = race_lines(fake_result(runs={"orthogonal": [ORTHOGONAL], "mod+fitted": [old]}))
    assert lines[6] == row("init samples", ["0", "not recorded"])


def test_a_live_table_names_live_mmcs_and_says_the_runs_train_their_budget():
    whole = {"target": 1.0}
    runs = {
        "orthogonal": [fake_run(0, 0.01, {95: (5170, 1_323_520, 23.12)}, 0.249, 0.985, **whole)],
        "mod+fitted": [fake_run(0, 5.0, {95: (0, 0, 0.0)}, 0.962, 0.99, **whole)],
    }
    lines = race_lines(fake_result(measure="live", runs=runs))
    assert (
        lines[1] == "toy 128x256, seed 0; L1 0.1, batch 256; each run trains all its 10,000 steps"
    )
    assert lines[3:6] == [
        row("live MMCS at the start", ["0.2390", "0.9520"]),
        row("live MMCS at the end", ["0.9750", "0.9800"]),
        row("init seconds", ["0.01", "5.00"]),
    ]
    assert lines[7] == row(
        "0.95 live MMCS: samples (+init)", ["1,323,520", "0"], "mod+fitted starts at or above it"
    )


def test_the_header_names_each_recipe_the_race_ran_under():
    head = (
        "toy 128x256, seed 0; L1 0.1, batch 256; each run stops at 0.99 MMCS or after 10,000 steps"
    )
    own = race_lines(
        fake_result(recipe="decoder_lr_scale=0.1", baseline_recipe="resample_every=100")
    )
    assert own[1] == head + (
        "; orthogonal's recipe: resample_every=100; mod+fitted's recipe: decoder_lr_scale=0.1"
    )
    reference = race_lines(fake_result(recipe="lr_decay_fraction=0.2", baseline_recipe=""))
    assert reference[1] == head + (
        "; orthogonal's recipe: the reference; mod+fitted's recipe: lr_decay_fraction=0.2"
    )
    shared = race_lines(fake_result(recipe="lr_decay_fraction=0.2"))
    assert shared[1] == head + "; recipe: lr_decay_fraction=0.2"
    assert race_lines(fake_result())[1] == head  # no recipe: the reference


def test_a_crossing_missed_by_some_seeds_says_how_many_reached_it():
    assert crossing_cell(Crossing(12_800, 50, 9.0, 2), "samples", 3) == "12,800 (2/3)"
    assert crossing_cell(Crossing(12_800, 50, 9.0, 2), "seconds", 3) == "9.00 (2/3)"
    assert crossing_cell(Crossing(12_800, 50, 9.0, 3), "steps", 3) == "50"
    assert crossing_cell(Crossing(None, None, None, 1), "samples", 3) == "not reached"


def test_a_cell_wider_than_its_column_stays_apart_from_the_one_before():
    from saeinit.reports.race import table_row

    line = table_row("  stays from: samples (+init)", ["not reached", "4,710,400 (3/5)"])
    assert line == "  stays from: samples (+init)   " + "   not reached" + " 4,710,400 (3/5)"


def test_scikit_learn_lines_only_when_asked_for():
    assert sklearn_lines(fake_result().scenarios[0], fake_result()) == []
    asked = fake_result(sklearn_seconds=30.0)
    assert sklearn_lines(asked.scenarios[0], asked) == [
        "scikit-learn: not raced (mod+fitted did not reach 0.95 MMCS)"
    ]
    missed = fake_result([SklearnOutcome(0, None, 0.5491, 1, 41.25)], 30.0)
    assert sklearn_lines(missed.scenarios[0], missed)[0] == (
        "scikit-learn MiniBatchDictionaryLearning (alpha 0.1, cd, 1024 samples per partial_fit, "
        "one thread, 30 s a seed, checked between calls):"
    )
    assert sklearn_lines(missed.scenarios[0], missed)[1:] == [
        "  seconds to 0.95 MMCS: not reached; MMCS at the end: 0.5491",
        "  partial_fit calls (seconds they ran): 1 (41.2 s)",  # one call outlasted the budget
        "  wall-clock to 0.95 MMCS, scikit-learn / mod+fitted: not reached by scikit-learn",
    ]
    reached = fake_result([SklearnOutcome(0, 20.0, 0.951, 7, 20.0)], 30.0)
    assert sklearn_lines(reached.scenarios[0], reached)[-1].endswith(": 4.00x")  # 20 / 5.00
    live = fake_result([SklearnOutcome(0, 20.0, 0.951, 7, 20.0)], 30.0, measure="live")
    assert sklearn_lines(live.scenarios[0], live)[-1].endswith(
        ": 4.00x (mod+fitted to 0.95 live MMCS; scikit-learn has no encoder)"
    )


def test_the_figure_is_written_as_png(tmp_path):
    for measure in ("mmcs", "live"):
        path = race_figure(fake_result(measure=measure), tmp_path / measure / "race.png")
        assert path == tmp_path / measure / "race.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
