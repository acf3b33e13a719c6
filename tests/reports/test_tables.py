"""The markdown tables and their cells, on hand-made runs."""

from saeinit.reports.aggregate import SAMPLES, STEPS, TOTAL_SECONDS, Outcomes, group_runs
from saeinit.reports.tables import (
    format_bound,
    format_outcomes,
    format_short_seconds,
    format_spread,
    initial_mmcs_table,
    markdown_table,
    threshold_table,
)


def rows(table: str) -> list[str]:
    return table.splitlines()[2:]


def test_markdown_table_has_a_header_a_rule_and_a_line_a_row():
    assert markdown_table(["a", "b"], [["1", "2"], ["3", "4"]]) == (
        "| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |"
    )


def test_a_spread_is_the_median_and_range_over_seeds():
    assert format_spread([], str) == "–"
    assert format_spread([0.5], lambda v: f"{v:.1f}") == "0.5"
    assert format_spread([3, 1, 2, 10], str) == "2.5 [1, 10]"
    assert format_short_seconds(0.000123456) == "0.000123"


def test_outcomes_are_never_shown_as_the_budget():
    assert format_outcomes(Outcomes([10, 30, 20], []), STEPS) == "20 [10, 30]"
    assert (
        format_outcomes(Outcomes([1000, 3000], [5_000_000]), SAMPLES)
        == "median of 2/3 reached: 2,000 [1,000, 3,000]; 1 not reached within 5,000,000 samples"
    )
    assert format_outcomes(Outcomes([], [2.5, 3.0]), TOTAL_SECONDS) == (
        "not reached within 2.50–3.00 s"
    )
    assert format_bound([1000, 1000], STEPS) == "1,000 steps"
    assert format_bound([2.001, 1.999], TOTAL_SECONDS) == "2.00 s"  # equal once rounded


def test_threshold_table_counts_the_seeds_that_reached_and_how_far_the_others_went(fake_run):
    runs = [
        fake_run("data", (100, 200, None)),
        fake_run("data", (300, None, None), seed=1),
        fake_run("centroid", (100, 150, 400), ratio=0.05),
    ]
    groups = group_runs(runs)
    # make_run: 256 samples and 10 ms a step, 1000 steps, 10 s of training, 2 s of init.
    assert rows(threshold_table(groups, 0.95)) == [
        "| 128x256 | data | – | 2 | 2/2 | 200 [100, 300] | 51,200 [25,600, 76,800] "
        "| 2.00 [1.00, 3.00] | 4.00 [3.00, 5.00] |",
        "| 128x256 | centroid | 5% | 1 | 1/1 | 100 | 25,600 | 1.00 | 3.00 |",
    ]
    assert rows(threshold_table(groups, 0.98))[0] == (
        "| 128x256 | data | – | 2 | 1/2 "
        "| median of 1/2 reached: 200; 1 not reached within 1,000 steps "
        "| median of 1/2 reached: 51,200; 1 not reached within 256,000 samples "
        "| median of 1/2 reached: 2.00; 1 not reached within 10.00 s "
        "| median of 1/2 reached: 4.00; 1 not reached within 12.00 s |"
    )
    assert rows(threshold_table(groups, 0.99))[0] == (
        "| 128x256 | data | – | 2 | 0/2 | not reached within 1,000 steps "
        "| not reached within 256,000 samples | not reached within 10.00 s "
        "| not reached within 12.00 s |"
    )


def test_initial_mmcs_table_leaves_out_unmeasured_runs_and_names_the_variant(fake_run):
    runs = [
        fake_run("data", mmcs_initial=0.6, settings={"k": 4}),
        fake_run("data", seed=1, mmcs_initial=0.7, init_seconds=0.0123, settings={"k": 4}),
        fake_run("data", seed=2, mmcs_initial=None, mmcs_final=None, settings={"k": 8}),
    ]
    assert rows(initial_mmcs_table(group_runs(runs))) == [
        "| 128x256 | data [k=4] | – | 2 | 0.650 [0.600, 0.700] | 0.900 [0.900, 0.900] "
        "| 1.01 [0.0123, 2] |",
        "| 128x256 | data [k=8] | – | 1 | – | – | 2 |",
    ]


def test_steps_of_results_saved_when_a_step_was_an_epoch_are_shown_as_epochs(fake_run):
    fixed = {"toy": {"dim": 128, "features": 256, "dataset_size": 5000}, "data_file": None}
    old = {"config": fixed}  # saved before results recorded their step unit
    new = {"config": fixed, "step_unit": "batch"}
    runs = [
        fake_run("data", (100, 200, None), result=old),
        fake_run("data", (300, None, None), seed=1, result=old),
        fake_run("centroid", (100, 150, 400), ratio=0.05, result=new),
        fake_run("orthogonal", (100, None, None), result=old),
        fake_run("orthogonal", (200, None, None), seed=1, result=new),
    ]

    def cells(threshold: float, column: int) -> dict[str, str]:
        table = rows(threshold_table(group_runs(runs), threshold))
        return {row.split(" | ")[1]: row.split(" | ")[column] for row in table}

    assert cells(0.95, 5) == {
        "data": "200 [100, 300] epochs",
        "centroid": "100",
        "orthogonal": "– (steps of some runs are epochs, of others batches)",
    }
    assert cells(0.98, 5)["data"] == (
        "median of 1/2 reached: 200; 1 not reached within 1,000 epochs"
    )
    # the other columns do not depend on what a step was
    assert cells(0.95, 6)["data"] == "51,200 [25,600, 76,800]"
    assert cells(0.95, 6)["orthogonal"] == "38,400 [25,600, 51,200]"
