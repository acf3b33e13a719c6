"""Markdown tables: step-0 MMCS, and steps, samples and seconds to each MMCS threshold."""

from __future__ import annotations

import statistics
from collections.abc import Callable

from saeinit.reports.aggregate import (
    MEASURES,
    STEPS,
    Condition,
    Groups,
    Measure,
    Outcomes,
    format_ratio,
    measured,
    outcomes,
)
from saeinit.training.settings import step_unit

Formatter = Callable[[float], str]


def format_count(value: float) -> str:
    return f"{value:,.0f}"


def format_mmcs(value: float) -> str:
    return f"{value:.3f}"


def format_seconds(value: float) -> str:
    return f"{value:,.2f}"


def format_short_seconds(value: float) -> str:
    """Three significant digits: init times span orders of magnitude, so fixed decimals would
    round the fastest to zero."""
    return f"{value:.3g}"


FORMATTERS: dict[str, Formatter] = {
    "steps": format_count,
    "epochs": format_count,
    "samples": format_count,
}
EPOCH_STEPS = Measure("steps", "epochs", "step", STEPS.spent)
"""The steps of results saved when a step on a fixed dataset was a whole epoch."""
MIXED_STEPS = "– (steps of some runs are epochs, of others batches)"


def formatter_for(measure: Measure) -> Formatter:
    return FORMATTERS.get(measure.unit, format_seconds)


def format_with_unit(value: float, measure: Measure) -> str:
    return f"{formatter_for(measure)(value)} {measure.unit}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def format_spread(values: list[float], fmt: Formatter) -> str:
    """Median and [min, max] over seeds; the value alone for one seed, "–" for none."""
    if not values:
        return "–"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}, {fmt(max(values))}]"


def format_bound(limits: list[float], measure: Measure) -> str:
    """How far runs that never reached a threshold went: one value, or a range."""
    low, high = min(limits), max(limits)
    if formatter_for(measure)(low) == formatter_for(measure)(high):
        return format_with_unit(high, measure)
    return f"{formatter_for(measure)(low)}–{format_with_unit(high, measure)}"


def format_outcomes(found: Outcomes, measure: Measure) -> str:
    """Median [min, max] of the runs that reached the threshold, saying how many did not and
    how far those went; never counts a run that did not reach it as its budget."""
    if not found.not_reached_within:
        return format_spread(found.reached, formatter_for(measure))
    missing = f"not reached within {format_bound(found.not_reached_within, measure)}"
    if not found.reached:
        return missing
    spread = format_spread(found.reached, formatter_for(measure))
    count = len(found.not_reached_within)
    return f"median of {len(found.reached)}/{found.runs} reached: {spread}; {count} {missing}"


def condition_cells(condition: Condition, runs: list[dict]) -> list[str]:
    ratio = "–" if condition.rare_ratio is None else format_ratio(condition.rare_ratio)
    init = f"{condition.init} [{condition.variant}]" if condition.variant else condition.init
    return [condition.scenario, init, ratio, str(len(runs))]


CONDITION_HEADER = ["scenario", "init [variant]", "rare ratio", "seeds"]


def initial_mmcs_table(groups: Groups) -> str:
    header = [*CONDITION_HEADER, "step-0 MMCS", "final MMCS", "init seconds"]
    rows = [
        [
            *condition_cells(condition, runs),
            format_spread(measured(runs, "mmcs_initial"), format_mmcs),
            format_spread(measured(runs, "mmcs_final"), format_mmcs),
            format_spread(measured(runs, "init_seconds"), format_short_seconds),
        ]
        for condition, runs in groups.items()
    ]
    return markdown_table(header, rows)


def steps_measure(runs: list[dict]) -> Measure | None:
    """How a group's steps are counted: STEPS (batches), EPOCH_STEPS for results saved when a
    step on a fixed dataset was an epoch (`settings.step_unit`), None when its runs differ."""
    units = {step_unit(run["result"]) if "result" in run else "batch" for run in runs}
    if len(units) > 1:
        return None
    return EPOCH_STEPS if units == {"epoch"} else STEPS


def format_steps(found: Outcomes, measure: Measure | None) -> str:
    """The steps cell: epochs say so where no bound already names them."""
    if measure is None:
        return MIXED_STEPS
    text = format_outcomes(found, measure)
    if measure is EPOCH_STEPS and found.reached and not found.not_reached_within:
        return f"{text} epochs"
    return text


def threshold_table(groups: Groups, threshold: float) -> str:
    header = [*CONDITION_HEADER, "reached", *(measure.name for measure in MEASURES)]
    rows = []
    for condition, runs in groups.items():
        steps = steps_measure(runs)
        measures = [steps or STEPS, *MEASURES[1:]]
        found = [outcomes(runs, threshold, measure) for measure in measures]
        cells = [format_steps(found[0], steps)]
        cells += [format_outcomes(f, m) for f, m in zip(found[1:], measures[1:], strict=True)]
        reached = f"{len(found[0].reached)}/{len(runs)}"
        rows.append([*condition_cells(condition, runs), reached, *cells])
    return markdown_table(header, rows)
