"""The report: a real tiny sweep through write_report, and the aggregation and claim rules on
hand-made runs."""

import math
import re

import numpy as np
import pytest

from saeinit.experiments import GridSpec, ResultStore, sweep
from saeinit.experiments.store import threshold_column
from saeinit.reports import write_report
from saeinit.reports.aggregate import (
    SAMPLES,
    STEPS,
    TOTAL_SECONDS,
    Outcomes,
    group_runs,
    mmcs_curve,
    outcomes,
)
from saeinit.reports.claims import (
    FAILS,
    HOLDS,
    NOT_MEASURED,
    UNDECIDED,
    claims,
    combine,
    faster,
)
from saeinit.reports.tables import format_outcomes, format_spread
from saeinit.training.config import THRESHOLDS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_STEPS, BATCH = 300, 128
# A toy where, within 300 steps, some seeds cross 0.95-0.99 and most never reach 0.99.
TINY = GridSpec(
    base={
        "scenario": "16x16",
        "mean_active": 2.0,
        "decay": 1.0,
        "max_steps": MAX_STEPS,
        "batch_size": BATCH,
        "lr": 0.03,
        "eval_every": 5,
        "log_every": 20,
        "eval_samples": 128,
        "init_samples": 1024,
        "lof_neighbors": 50,
    },
    axes=[
        {"init": ["orthogonal", "data"], "seed": [0, 1]},
        {"init": ["centroid", "outliers"], "rare_ratio": [0.05, 0.25], "seed": [0, 1]},
    ],
    title="Tiny report test grid",
    note="A note that must reach the report.",
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny grid's runs and the text of its report."""
    folder = tmp_path_factory.mktemp("report")
    with ResultStore(folder / "results.sqlite") as store:
        summary = sweep(TINY, store, workers=2, progress=False)
        assert not summary.failed
        path = write_report(store, folder / "out")
        runs = store.runs()
    return path, path.read_text(), runs


def section(text: str, heading: str) -> str:
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


def test_report_embeds_valid_pngs_by_relative_links(tiny):
    path, text, _ = tiny
    assert path.name == "report.md" and text.strip()
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", text)
    assert links == ["fig1_mmcs_16x16.png", "fig2_rare_ratio.png"]
    for link in links:
        data = (path.parent / link).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def test_report_starts_with_meta_counts_and_budget(tiny):
    _, text, _ = tiny
    assert text.startswith("# Tiny report test grid\n\nA note that must reach the report.")
    assert "**12 runs** in 6 conditions" in text
    assert "1 scenario (16x16), 2 seeds (0, 1)" in text
    assert f"- 16x16: 300 steps of 128 samples ({MAX_STEPS * BATCH:,} samples)" in text


def test_tables_list_every_condition(tiny):
    _, text, _ = tiny
    for heading in ("## Step-0 MMCS", "### MMCS ≥ 0.95", "### MMCS ≥ 0.98", "### MMCS ≥ 0.99"):
        table = section(text, heading)
        for init, ratio in [("orthogonal", "–"), ("data", "–"), ("centroid", "5%")]:
            assert f"| 16x16 | {init} | {ratio} | 2 |" in table
        assert "| 16x16 | outliers | 25% | 2 |" in table


def test_unreached_threshold_shows_the_samples_trained_not_a_time(tiny):
    _, text, runs = tiny
    unreached = [r for r in runs if r["t99_step"] is None]
    assert unreached, "the tiny grid should leave 0.99 unreached somewhere"
    assert all(r["samples"] == MAX_STEPS * BATCH for r in unreached)
    row = next(
        line
        for line in section(text, "### MMCS ≥ 0.99").splitlines()
        if f"| {unreached[0]['init']} |" in line
    )
    assert f"not reached within {MAX_STEPS * BATCH:,} samples" in row
    assert f"not reached within {MAX_STEPS:,} steps" in row


def test_claims_table_has_four_rows_with_a_verdict(tiny):
    _, text, _ = tiny
    rows = [
        line
        for line in section(text, "## The seed post's claims").splitlines()
        if re.match(r"\| \d \|", line)
    ]
    assert [row[2] for row in rows] == ["1", "2", "3", "4"]
    for row in rows:
        verdict = row.rstrip(" |").rsplit("| ", 1)[1]
        assert verdict.strip("*") in (HOLDS, FAILS, NOT_MEASURED, UNDECIDED)
        assert "16x16:" in row  # every claim has its runs in the tiny grid


def fake_run(init, crossings=(None, None, None), ratio=None, seed=0, scenario="128x256", **kw):
    """A run dict as the store gives it; `crossings` are the steps to 0.95, 0.98, 0.99."""
    run = {
        "scenario": scenario,
        "init": init,
        "rare_ratio": ratio,
        "seed": seed,
        "steps": 1000,
        "samples": 256_000,
        "train_seconds": 10.0,
        "init_seconds": 2.0,
        "mmcs_initial": 0.5,
        "stopped": "budget",
    } | kw
    for threshold, step in zip(THRESHOLDS, crossings, strict=True):
        run[threshold_column(threshold, "step")] = step
        run[threshold_column(threshold, "samples")] = None if step is None else step * 256
        run[threshold_column(threshold, "seconds")] = None if step is None else step / 100
    return run


def verdicts(runs: list[dict]) -> list[str]:
    return [claim.verdict for claim in claims(group_runs(runs))]


def test_outcomes_keep_unreached_runs_apart_and_add_init_seconds():
    runs = [fake_run("data", (100, 200, 300)), fake_run("data", (100, None, None), seed=1)]
    assert outcomes(runs, 0.99, SAMPLES) == Outcomes([300 * 256], [256_000])
    assert outcomes(runs, 0.95, TOTAL_SECONDS) == Outcomes([3.0, 3.0], [])
    assert outcomes(runs, 0.98, TOTAL_SECONDS) == Outcomes([4.0], [12.0])


def test_an_unreached_threshold_counts_as_slower_than_any_reached_one():
    assert Outcomes([100, 200], [1000]).median() == 200
    assert math.isinf(Outcomes([100], [1000]).median())
    assert faster(5000, math.inf) is True
    assert faster(math.inf, 10) is False
    assert faster(math.inf, math.inf) is None


def test_outcomes_are_never_shown_as_the_budget():
    assert format_outcomes(Outcomes([10, 30, 20], []), STEPS) == "20 [10, 30]"
    assert (
        format_outcomes(Outcomes([1000, 3000], [5_000_000]), SAMPLES)
        == "median of 2/3 reached: 2,000 [1,000, 3,000]; 1 not reached within 5,000,000 samples"
    )
    assert format_outcomes(Outcomes([], [2.5, 3.0]), TOTAL_SECONDS) == (
        "not reached within 2.50–3.00 s"
    )
    assert format_spread([0.5], lambda v: f"{v:.1f}") == "0.5"


def test_combine_needs_every_scenario_to_hold():
    assert combine([]) == NOT_MEASURED
    assert combine([HOLDS, HOLDS]) == HOLDS
    assert combine([HOLDS, UNDECIDED]) == UNDECIDED
    assert combine([UNDECIDED, FAILS]) == FAILS


def test_claims_from_hand_made_runs():
    runs = [
        fake_run("data", (100, 900, None), mmcs_initial=0.66),
        fake_run("orthogonal", (400, 600, 1000), mmcs_initial=0.25),
        fake_run("centroid", (300, 500, 900), ratio=0.05),
        fake_run("outliers", (300, 500, 950), ratio=0.01),
        fake_run("outliers", (300, 500, None), ratio=0.2),  # outside 1–15%: ignored
    ]
    assert verdicts(runs) == [HOLDS, HOLDS, HOLDS, HOLDS]
    speedup = claims(group_runs(runs))[2].measured
    assert "centroid 900 steps vs orthogonal 1,000 steps: +10.0% speed-up" in speedup


def test_claims_that_fail_cannot_be_decided_or_lack_runs():
    runs = [
        fake_run("data", (100, None, None), mmcs_initial=0.9),
        fake_run("orthogonal", (50, None, None), mmcs_initial=0.25),
        fake_run("centroid", (100, 200, 970), ratio=0.05),
        fake_run("orthogonal", (50, 500, 1000), seed=1, scenario="8x16"),
        fake_run("centroid", (100, 200, 970), ratio=0.05, scenario="8x16"),
    ]
    # 1: data starts too high; 2: data slower to 0.95; 3: centroid only 3% faster in 8x16
    # (it holds in 128x256, where orthogonal never reached 0.99); 4: no outliers runs.
    assert verdicts(runs) == [FAILS, FAILS, FAILS, NOT_MEASURED]
    neither_reached = [
        fake_run("data", (100, None, None)),
        fake_run("orthogonal", (200, 200, None)),
    ]
    assert verdicts(neither_reached)[1] == UNDECIDED


def history(steps_and_mmcs):
    return [{"step": step, "mmcs": mmcs} for step, mmcs in steps_and_mmcs]


def test_mmcs_curve_keeps_a_stopped_runs_last_value_but_ends_a_budget_run():
    stopped_early = history([(0, 0.5), (100, 0.99)])
    ran_to_300 = history([(0, 0.3), (100, 0.7), (200, 0.8), (300, 0.9)])
    curve = mmcs_curve([stopped_early, ran_to_300], [True, False])
    assert curve.steps.tolist() == [0, 100, 200, 300]
    assert np.allclose(curve.mean, [0.4, 0.845, 0.895, 0.945])
    assert np.allclose(curve.low, [0.3, 0.7, 0.8, 0.9])
    assert np.allclose(curve.high, [0.5, 0.99, 0.99, 0.99])
    short_budget = history([(0, 0.2), (100, 0.4)])
    ended = mmcs_curve([short_budget, ran_to_300], [False, False])
    assert np.allclose(ended.mean, [0.25, 0.55, 0.8, 0.9])  # only ran_to_300 after step 100


def test_runs_that_differ_in_other_settings_are_variants_not_pooled():
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


def test_every_registered_init_has_a_color_of_its_own():
    from saeinit.inits import names
    from saeinit.reports.figures import init_color

    colors = [init_color(init) for init in names()]
    assert len(set(colors)) == len(colors)


def test_a_scenario_with_few_conditions_gets_one_figure_and_many_get_one_per_variant():
    from saeinit.reports.aggregate import Condition
    from saeinit.reports.report import figure_panels

    few = {Condition("128x256", init, None, v): [] for init in ("orthogonal", "mod")
           for v in ("", "encoder_init=fitted")}  # fmt: skip
    many = {Condition("128x512", init, None, v): [] for init in ("orthogonal", "data", "mod")
            for v in ("", "k=4", "k=8")}  # fmt: skip
    assert figure_panels(few | many) == [
        ("128x256", None),
        ("128x512", ""),
        ("128x512", "k=4"),
        ("128x512", "k=8"),
    ]


def test_a_figure_of_one_variant_leaves_it_out_of_the_labels():
    from saeinit.reports.aggregate import Condition
    from saeinit.reports.figures import figure_label

    fitted = Condition("128x256", "centroid", 0.05, "encoder_init=fitted")
    assert figure_label(fitted, ["encoder_init=fitted"]) == "centroid 5%"
    assert figure_label(fitted, ["", "encoder_init=fitted"]) == "centroid 5% [encoder_init=fitted]"
