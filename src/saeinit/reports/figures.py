"""The seed post's two figures: MMCS against steps per init, and steps to 0.99 MMCS against
the rare ratio; the colors, line styles and bands every report's curves share."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from saeinit.reports.aggregate import (  # noqa: E402
    STEPS,
    Condition,
    Curve,
    Groups,
    Outcomes,
    find,
    format_ratio,
    init_rank,
    mmcs_curve,
    outcomes,
)
from saeinit.training.config import THRESHOLDS  # noqa: E402

THRESHOLD_ALPHAS = dict(zip(THRESHOLDS, (0.35, 0.65, 1.0), strict=True))
BASELINES = ("data", "orthogonal")
TARGET = 0.99
NOT_REACHED_TOP = 0.965
NOT_REACHED_ROW = 0.045
"""Where "not reached" markers sit, as fractions of the axis height: one row per init, from
the top down; the plotted crossings stay below the last row."""


VARIANT_STYLES = ("-", "--", "-.", ":")
"""Line styles of the variants that share a figure (the color says the init)."""
EXTRA_COLORS = ("black", "darkgoldenrod", "teal", "indigo")
"""Colors of the inits past matplotlib's ten cycle colors (C0..C9), so that no two share one."""


def init_color(init: str) -> str:
    """One color per init, the same in every figure."""
    rank = init_rank(init)[0]
    return f"C{rank}" if rank < 10 else EXTRA_COLORS[(rank - 10) % len(EXTRA_COLORS)]


def save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def mmcs_figure(
    scenario: str, groups: Groups, histories: dict[str, list[dict]], path: Path
) -> Path:
    """Figure 1 for one scenario: MMCS curves above, the steps where each threshold was
    crossed below (one row per init and threshold)."""
    fig, (curves, ranges) = plt.subplots(
        2, 1, sharex=True, figsize=(9, 8), height_ratios=(3, 2), layout="constrained"
    )
    variants = list(dict.fromkeys(condition.variant for condition in groups))
    for condition, runs in groups.items():
        curve = mmcs_curve(
            [histories[run["key"]] for run in runs], [run["stopped"] == "target" for run in runs]
        )
        if curve is not None:
            label = f"{figure_label(condition, variants)} ({len(runs)} seeds)"
            plot_band(curves, curve, condition, variants, label)
    for threshold in THRESHOLDS:
        curves.axhline(threshold, color="gray", ls=":", lw=0.8)
    curves.set(ylabel="MMCS", title=f"{scenario}: MMCS against steps")
    curves.legend(loc="lower right", title="mean over seeds, band: min–max")
    curves.grid(alpha=0.3)
    crossing_ranges(ranges, groups, variants)
    return save(fig, path)


def plot_band(
    ax: Axes,
    curve: Curve,
    condition: Condition,
    variants: list[str],
    label: str | None = None,
    alpha: float = 0.2,
    lw: float | None = None,
) -> None:
    """A group's mean as a line (its init's color, its variant's style) over its min–max band."""
    color = init_color(condition.init)
    style = variant_style(condition.variant, variants)
    ax.plot(curve.x, curve.mean, color=color, ls=style, label=label, lw=lw)
    ax.fill_between(curve.x, curve.low, curve.high, color=color, alpha=alpha, lw=0)


def variant_style(variant: str, variants: list[str]) -> str:
    """The line style of one of the variants that share a figure."""
    return VARIANT_STYLES[variants.index(variant) % len(VARIANT_STYLES)]


def figure_label(condition: Condition, variants: list[str]) -> str:
    """A condition's label in a figure: without its variant when the figure has only one (the
    title names it)."""
    return condition.label if len(variants) > 1 else condition.short_label


def crossing_ranges(ax: Axes, groups: Groups, variants: list[str]) -> None:
    """A bar from the earliest to the latest seed's crossing per init and threshold, a diamond
    per seed; the row's label says how many seeds never crossed."""
    ticks, labels = [], []
    for row, (condition, runs) in enumerate(groups.items()):
        color = init_color(condition.init)
        first = row * (len(THRESHOLDS) + 1)
        if row % 2:
            ax.axhspan(-first + 0.7, -first - len(THRESHOLDS) + 0.3, color="0.94", zorder=0)
        for offset, threshold in enumerate(THRESHOLDS):
            y = -(first + offset)
            found = outcomes(runs, threshold, STEPS)
            if found.reached:
                alpha = THRESHOLD_ALPHAS[threshold]
                ax.hlines(y, min(found.reached), max(found.reached), color=color, lw=8, alpha=alpha)
                ax.plot(
                    found.reached, [y] * len(found.reached), "D", color=color, mec="black", ms=5
                )
            ticks.append(y)
            labels.append(f"{figure_label(condition, variants)} ≥ {threshold}{missing_note(found)}")
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set(xlabel="step", title="steps where each seed first reached 0.95, 0.98 and 0.99 MMCS")
    ax.grid(axis="x", alpha=0.3)


def missing_note(found: Outcomes) -> str:
    if not found.not_reached_within:
        return ""
    return f" ({len(found.not_reached_within)}/{found.runs} not reached)"


def on_ratio_axis(condition: Condition) -> bool:
    """A rare condition figure 2 shows: a ratio of 0 has no place on its log axis."""
    return bool(condition.rare_ratio)


def rare_scenarios(groups: Groups) -> list[str]:
    return list(dict.fromkeys(c.scenario for c in groups if on_ratio_axis(c)))


def rare_ratio_figure(groups: Groups, path: Path) -> Path:
    """Figure 2: one panel per scenario that has rare runs."""
    shown = rare_scenarios(groups)
    fig, axes = plt.subplots(
        1, len(shown), figsize=(8 * len(shown), 5.5), squeeze=False, layout="constrained"
    )
    for ax, scenario in zip(axes[0], shown, strict=True):
        rare_ratio_panel(ax, scenario, groups)
    return save(fig, path)


def rare_ratio_panel(ax: Axes, scenario: str, groups: Groups) -> None:
    shown_here = [c for c in groups if c.scenario == scenario and on_ratio_axis(c)]
    inits = list(dict.fromkeys(c.init for c in shown_here))
    ratios = sorted({c.rare_ratio for c in shown_here})
    shown = []
    for row, init in enumerate(inits):
        nudge = 1.1 ** (row - (len(inits) - 1) / 2)  # side by side on the log axis
        points = [
            (ratio * nudge, outcomes(find(groups, scenario, init, ratio), TARGET, STEPS))
            for ratio in ratios
            if find(groups, scenario, init, ratio)
        ]
        rare_points(ax, points, init, NOT_REACHED_TOP - row * NOT_REACHED_ROW)
        shown += [found for _, found in points]
    for init in BASELINES:
        found = outcomes(find(groups, scenario, init), TARGET, STEPS)
        baseline(ax, init, found)
        shown.append(found)
    ax.set_xscale("log")
    ax.set_xticks(ratios, [format_ratio(r) for r in ratios], fontsize=8)
    ax.minorticks_off()
    ax.set_xlim(min(ratios) / 1.5, max(ratios) * 1.5)
    headroom = NOT_REACHED_TOP - len(inits) * NOT_REACHED_ROW
    ax.set_ylim(0, axis_top(shown) / headroom)
    ax.set(xlabel="rare ratio", ylabel=f"steps to {TARGET} MMCS", title=scenario)
    ax.grid(alpha=0.3)
    not_reached = Line2D(
        [], [], marker="^", color="0.4", ls="none", label="not reached (k/n seeds)"
    )
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], not_reached], fontsize=8)


def axis_top(shown: list[Outcomes]) -> float:
    """The slowest crossing plotted; if none was reached, the most steps any run trained, so
    that the axis still shows the scale of the budget."""
    reached = [value for found in shown for value in found.reached]
    spent = [value for found in shown for value in found.not_reached_within]
    return max(reached or spent or [1])


def rare_points(ax: Axes, points: list[tuple[float, Outcomes]], init: str, top: float) -> None:
    """Median and min–max of the seeds that reached the target (a gap where none did); a
    triangle at height `top` of the axis, with the count, for the runs that did not."""
    color = init_color(init)
    reached = [found.reached or [math.nan] for _, found in points]
    medians = [statistics.median(values) for values in reached]
    spans = [
        [m - min(v) for m, v in zip(medians, reached, strict=True)],
        [max(v) - m for m, v in zip(medians, reached, strict=True)],
    ]
    xs = [x for x, _ in points]
    ax.errorbar(xs, medians, yerr=spans, fmt="o-", color=color, capsize=3, lw=1, label=init)
    for x, found in points:
        if found.not_reached_within:
            mark_not_reached(ax, x, top, found, color)


def mark_not_reached(ax: Axes, x: float, top: float, found: Outcomes, color: str) -> None:
    at_top = ax.get_xaxis_transform()  # x in data, y as a fraction of the axis
    ax.plot([x], [top], "^", color=color, ms=8, transform=at_top, clip_on=False)
    count = f"{len(found.not_reached_within)}/{found.runs}"
    ax.annotate(
        count, (x, top), xycoords=at_top, xytext=(5, 0), textcoords="offset points",
        ha="left", va="center", fontsize=7, color=color,
    )  # fmt: skip


def baseline(ax: Axes, init: str, found: Outcomes) -> None:
    """A non-rare init's median steps (over the seeds that reached the target) as a line."""
    if not found.runs:
        return
    color = init_color(init)
    if not found.reached:
        ax.plot([], [], color=color, ls="--", label=f"{init}: not reached ({found.runs} seeds)")
        return
    share = "" if not found.not_reached_within else f", {len(found.reached)}/{found.runs} reached"
    label = f"{init} (median{share})"
    ax.axhline(statistics.median(found.reached), color=color, ls="--", lw=1.2, label=label)
