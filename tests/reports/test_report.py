"""The report: a real tiny sweep through write_report, and the aggregation and claim rules on
hand-made runs."""

import re
import shutil
import statistics

import pytest

from saeinit.experiments import GridSpec, ResultStore
from saeinit.experiments.sweep import sweep
from saeinit.reports import write_report
from saeinit.reports.aggregate import Condition, group_runs
from saeinit.reports.claims import FAILS, HOLDS, NOT_MEASURED
from saeinit.reports.report import (
    budget_text,
    claims_section,
    figure_panels,
    file_slug,
    stopping_rule,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_STEPS, BATCH = 300, 128
# A toy grid with a short budget, so that some thresholds go unreached (a test below checks).
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


def claim_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\| \d \|", line)]


def verdict_of_row(row: str) -> str:
    return row.rstrip(" |").rsplit("| ", 1)[1].strip("*")


def test_claims_section_gives_the_verdicts_the_numbers_decide(fake_run):
    # data starts at 0.66 (in 0.55–0.75) and orthogonal at 0.25 (below 0.30); data reaches
    # 0.95 first (100 vs 400 steps) but never 0.99, which orthogonal reaches at 1,000 steps.
    holds = [
        fake_run("data", (100, 900, None), mmcs_initial=0.66),
        fake_run("orthogonal", (400, 600, 1000), mmcs_initial=0.25),
    ]
    rows = claim_rows(claims_section(group_runs(holds)))
    assert [verdict_of_row(row) for row in rows] == [HOLDS, HOLDS, NOT_MEASURED, NOT_MEASURED]
    assert "128x256: data 0.660, orthogonal 0.250 (holds)" in rows[0]
    # data starts at 0.90, above the range, and reaches 0.95 later than orthogonal (500 steps).
    fails = [
        fake_run("data", (500, 900, None), mmcs_initial=0.9),
        fake_run("orthogonal", (400, 600, 1000), mmcs_initial=0.25),
    ]
    rows = claim_rows(claims_section(group_runs(fails)))
    assert [verdict_of_row(row) for row in rows] == [FAILS, FAILS, NOT_MEASURED, NOT_MEASURED]
    assert "to 0.95: data 128,000 samples vs orthogonal 102,400 samples" in rows[1]


def test_the_grids_claim_one_verdict_follows_its_step_0_mmcs(tiny):
    _, text, runs = tiny
    rows = claim_rows(section(text, "## The seed post's claims"))
    assert [row[2] for row in rows] == ["1", "2", "3", "4"]
    assert all("16x16:" in row for row in rows)  # every claim has its runs in the tiny grid
    data = statistics.median(r["mmcs_initial"] for r in runs if r["init"] == "data")
    orthogonal = statistics.median(r["mmcs_initial"] for r in runs if r["init"] == "orthogonal")
    expected = HOLDS if 0.55 <= data <= 0.75 and orthogonal < 0.30 else FAILS
    assert f"16x16: data {data:.3f}, orthogonal {orthogonal:.3f} ({expected})" in rows[0]
    assert verdict_of_row(rows[0]) == expected


def report_of_copy(tiny, tmp_path, rewrite) -> str:
    """The report of a copy of the tiny grid's store, changed by `rewrite(path)`."""
    path = tiny[0]
    copy = tmp_path / "copy.sqlite"
    shutil.copy(path.parent.parent / "results.sqlite", copy)
    rewrite(copy)
    with ResultStore(copy) as store:
        return write_report(store, tmp_path / "out").read_text()


def test_results_stored_before_the_toy_section_was_renamed_give_the_same_report(
    tiny, tmp_path, rewrite_stored_configs
):
    assert report_of_copy(tiny, tmp_path, rewrite_stored_configs) == tiny[1]


def test_runs_on_a_dataset_are_named_by_it_not_by_their_toy_settings(
    tiny, tmp_path, rewrite_stored_configs
):
    def on_npz(config):  # the scenario column keeps saying 16x16, as an old store's did
        if config["init"]["init"] == "orthogonal":
            config["data_file"] = "/d/x.npz"
        return config

    text = report_of_copy(tiny, tmp_path, lambda path: rewrite_stored_configs(path, on_npz))
    assert "2 scenarios (16x16, npz:/d/x.npz)" in text
    (budget,) = [line for line in text.splitlines() if line.startswith("- npz:/d/x.npz: ")]
    assert budget.startswith("- npz:/d/x.npz: 300 steps of ")  # stored with step_unit "batch"
    assert budget.endswith("; batches of shuffled epochs of a fixed dataset)")
    assert "| npz:/d/x.npz | orthogonal | – | 2 |" in section(text, "## Step-0 MMCS")
    assert "| 16x16 | orthogonal |" not in text


def test_the_budget_says_whether_runs_drew_fresh_samples_or_a_fixed_dataset():
    def run(unit=None, **config):
        train = {"max_steps": 1000, "batch_size": 64}
        result = {"config": {"train": train, "data_file": None} | config}
        return {"result": result | ({"step_unit": unit} if unit else {})}

    stream = "1,000 steps of 64 samples (64,000 samples)"
    assert budget_text(run("batch", toy={"dataset_size": None})) == stream
    assert budget_text(run(toy={"dataset_size": None})) == stream  # stored before step_unit
    epochs = "1,000 steps (one epoch of a fixed dataset each)"  # results stored before step_unit
    assert budget_text(run(toy={"dataset_size": 500})) == epochs
    assert budget_text(run(data={"dataset_size": 500})) == epochs  # and before the rename
    assert budget_text(run(toy={"dataset_size": None}, data_file="/d/x.npz")) == epochs
    batches = (
        "1,000 steps of 64 samples (64,000 samples; batches of shuffled epochs of a fixed dataset)"
    )
    assert budget_text(run("batch", toy={"dataset_size": 500})) == batches


@pytest.mark.parametrize(
    ("targets", "rule"),
    [
        ([0.99], "runs stop once MMCS reaches 0.99"),
        ([1.0], "runs train their whole budget"),
        (
            [0.95, 1.0],
            "runs stop once MMCS reaches 0.95; runs with a target of 1 train their whole budget",
        ),
    ],
)
def test_the_stopping_rule_says_a_target_of_one_trains_the_whole_budget(targets, rule):
    runs = [{"result": {"config": {"train": {"target_mmcs": target}}}} for target in targets]
    assert stopping_rule(runs) == rule


def test_a_scenario_with_few_conditions_gets_one_figure_and_many_get_one_per_variant():
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


def test_figure_files_are_named_after_their_title():
    assert file_slug("128x256 [dict_size=512]") == "128x256_dict_size-512"
    assert file_slug("npz:/d/x.npz [k=4, l1=0.1]") == "npz_d_x.npz_k-4_l1-0.1"
