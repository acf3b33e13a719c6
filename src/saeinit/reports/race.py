"""The race's printed table and its figure: MMCS (or live MMCS, --measure live) against samples
and against seconds, the init's own included in both, one line per entry and seed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from saeinit.experiments.race import (
    Crossing,
    RaceResult,
    ScenarioRace,
    init_samples,
    median_or_none,
    race,
    ratio,
)
from saeinit.experiments.race_config import SKLEARN_BATCH, SKLEARN_FIT, SKLEARN_TARGET, RaceConfig
from saeinit.experiments.store import threshold_column
from saeinit.training.config import THRESHOLDS

LABEL, CELL = 32, 14
"""Widths of the row labels and of the entries' columns."""


def race_report(config: RaceConfig, echo: Callable[[str], None] = print) -> RaceResult:
    """Run the race (resuming from its store), print its table and write race.png in --out."""
    result = race(config, echo)
    for line in race_lines(result):
        echo(line)
    echo(f"wrote {race_figure(result, Path(config.out) / 'race.png')}")
    return result


def race_lines(result: RaceResult) -> list[str]:
    """The table of every scenario, then scikit-learn's outcome where it was raced."""
    lines = []
    for scenario in result.scenarios:
        lines += ["", *scenario_table(scenario, result.config), *sklearn_lines(scenario, result)]
    return lines


def measured(config: RaceConfig) -> str:
    """The name of what the race measures, as its table and figure write it."""
    return "live MMCS" if config.live() else "MMCS"


def scenario_table(found: ScenarioRace, config: RaceConfig) -> list[str]:
    entries, names, what = config.entry_list(), config.pair(), measured(config)
    baseline, best = (found.numbers[name] for name in names)
    seeds = config.seed_list()
    first = found.runs[entries[0]][0]["result"]["config"]
    which = f"seed {seeds[0]}" if len(seeds) == 1 else f"medians over seeds {int_list(seeds)}"
    target, budget = first["train"]["target_mmcs"], config.budget(found.scenario)
    stop = f"stops at {target} MMCS or after" if target < 1 else "trains all its"
    lines = [
        f"toy {found.scenario}, {which}; L1 {config.l1_of(found.scenario):g}, batch "
        f"{first['train']['batch_size']}; each run {stop} {budget:,} steps"
        + recipe_text(config, found.scenario),
        table_row("", entries, f"{names[0]} / {names[1]}"),
    ]
    for label, column, digits in (
        (f"{what} at the start", "mmcs_start", 4),
        (f"{what} at the end", "mmcs_end", 4),
        ("init seconds", "init_seconds", 2),
        ("init samples", "init_samples", 0),
    ):
        values = [getattr(found.numbers[e], column) for e in entries]
        cells = ["not recorded" if v is None else f"{v:,.{digits}f}" for v in values]
        lines.append(table_row(label, cells))
    for threshold in THRESHOLDS:
        for kind, part, label in (
            ("crossings", "samples", f"{threshold} {what}: samples (+init)"),
            ("crossings", "steps", "  training steps"),
            ("crossings", "seconds", "  seconds (+init)"),
            ("kept", "samples", "  stays from: samples (+init)"),
            ("kept", "seconds", "  stays from: s (+init)"),
        ):
            cells = [
                crossing_cell(getattr(found.numbers[e], kind)[threshold], part, len(found.runs[e]))
                for e in entries
            ]
            pair = (getattr(getattr(n, kind)[threshold], part) for n in (baseline, best))
            # no ratio of training steps: the samples' ratio counts the init's too
            lines.append(table_row(label, cells, ratio(*pair, names) if part != "steps" else ""))
    fired = [found.numbers[e].fired for e in entries]
    if all(fired):
        lines.append(table_row("features fired 1+, 10+", [f"{a:.0f}, {b:.0f}" for a, b in fired]))
    lines.append("samples (+init), seconds (+init): a run's training samples and seconds to the")
    lines.append("threshold plus its init's own samples and seconds, each run on one torch thread;")
    lines.append("the last column is baseline / best; stays from: the first history row from")
    lines.append("which every later one is at or above the threshold")
    return lines


def recipe_text(config: RaceConfig, scenario: str) -> str:
    """The recipes of the table's header: one for all, or each entry's where they differ."""
    recipes = config.recipes(scenario)
    texts = {text for _, text in recipes.values()}
    if len(texts) == 1:
        (text,) = texts
        return f"; recipe: {text}" if text else ""
    return "".join(
        f"; {entry}'s recipe: {text or 'the reference'}" for entry, (_, text) in recipes.items()
    )


def crossing_cell(crossing: Crossing, part: str, seeds: int) -> str:
    """A median crossing as text: "not reached" when at most half the seeds reached it, with
    the count of seeds that did when not all."""
    value = getattr(crossing, part)
    if value is None:
        return "not reached"
    text = f"{value:.2f}" if part == "seconds" else f"{value:,.0f}"
    return text if crossing.reached == seeds else f"{text} ({crossing.reached}/{seeds})"


def sklearn_lines(found: ScenarioRace, result: RaceResult) -> list[str]:
    config = result.config
    best = config.pair()[1]
    if config.sklearn_seconds is None:
        return []
    if found.sklearn is None:
        return [
            f"scikit-learn: not raced ({best} did not reach {SKLEARN_TARGET} {measured(config)})"
        ]
    times = ", ".join(
        "not reached" if o.seconds is None else f"{o.seconds:.2f}" for o in found.sklearn
    )
    ours = found.numbers[best].crossings[SKLEARN_TARGET].seconds
    theirs = median_or_none([o.seconds for o in found.sklearn])
    return [
        f"scikit-learn MiniBatchDictionaryLearning (alpha 0.1, {SKLEARN_FIT}, {SKLEARN_BATCH} "
        f"samples per partial_fit, one thread, {config.sklearn_seconds:g} s a seed, checked "
        "between calls):",
        f"  seconds to {SKLEARN_TARGET} MMCS: {times}; MMCS at the end: "
        + ", ".join(f"{o.mmcs:.4f}" for o in found.sklearn),
        "  partial_fit calls (seconds they ran): "
        + ", ".join(f"{o.batches} ({o.ran_seconds:.1f} s)" for o in found.sklearn),
        f"  wall-clock to {SKLEARN_TARGET} MMCS, scikit-learn / {best}: "
        + ratio(theirs, ours, ("scikit-learn", best))
        + (
            f" ({best} to {SKLEARN_TARGET} live MMCS; scikit-learn has no encoder)"
            if config.live()
            else ""
        ),
    ]


def table_row(label: str, cells: list[str], ratio_text: str = "") -> str:
    line = f"{label:<{LABEL}}" + "".join(f" {cell:>{CELL - 1}}" for cell in cells)
    return f"{line}   {ratio_text}".rstrip()


def int_list(values: list[int]) -> str:
    return " ".join(str(v) for v in values)


def race_figure(result: RaceResult, path: Path) -> Path:
    """MMCS (or live MMCS) against samples (left) and against seconds (right), the init's own
    included in both, one row of panels per scenario; a marker where a run first reached each
    threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from saeinit.reports.figures import init_color, variant_style

    entries, live, what = result.config.entry_list(), result.config.live(), measured(result.config)
    column = "live_mmcs" if live else "mmcs"
    encoders = list(dict.fromkeys(entry.partition("+")[2] for entry in entries))
    rows = len(result.scenarios)
    fig, axes = plt.subplots(
        rows, 2, figsize=(12, 4.5 * rows), squeeze=False, sharey=True, layout="constrained"
    )
    for (by_samples, by_seconds), found in zip(axes, result.scenarios, strict=True):
        for entry in entries:
            init, _, encoder = entry.partition("+")
            style = {"color": init_color(init), "ls": variant_style(encoder, encoders)}
            for run in found.runs[entry]:
                label = f"{entry} (seed {run['seed']})" if len(found.runs[entry]) > 1 else entry
                points = [row for row in run["history"] if row[column] is not None]
                mmcs = [row[column] for row in points]
                seconds = [run["init_seconds"] + row["seconds"] for row in points]
                drew = [init_samples(run) + row["samples"] for row in points]
                # a run that stopped at its start has one point: a square, so that it shows
                marker = {"marker": "s", "ms": 7} if len(points) == 1 else {}
                by_samples.plot(drew, mmcs, label=label, **style, **marker)
                by_seconds.plot(seconds, mmcs, label=label, **style, **marker)
                for threshold in THRESHOLDS:
                    samples = run[threshold_column(threshold, "samples", live)]
                    if samples is not None:
                        samples += init_samples(run)
                        took = run[threshold_column(threshold, "seconds", live)]
                        took += run["init_seconds"]
                        by_samples.plot([samples], [threshold], "o", ms=4, color=style["color"])
                        by_seconds.plot([took], [threshold], "o", ms=4, color=style["color"])
        for ax, axis in (
            (by_samples, "samples, init included"),
            (by_seconds, "seconds, init included"),
        ):
            for threshold in THRESHOLDS:
                ax.axhline(threshold, color="gray", ls=":", lw=0.8)
            ax.set(xlabel=axis, title=f"{found.scenario}: {what} against {axis}")
            ax.grid(alpha=0.3)
        by_samples.set_ylabel(what)
        by_samples.legend(
            loc="lower right", fontsize=8, title="dots: first at each threshold", title_fontsize=8
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
