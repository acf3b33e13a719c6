"""Runs grouped by condition (scenario, init, rare ratio, variant) and what their seeds
measured. A scenario is what a run trained on: a toy scenario DIMxFEATURES, or its real data.
A variant is the other settings in which a grid's runs of one scenario differ (e.g.
dict_size=512 or architecture=topk), so that such runs are compared, not pooled."""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from saeinit.experiments.store import threshold_column
from saeinit.inits import names as init_names
from saeinit.training.settings import data_label, stored_config


@dataclass(frozen=True)
class Condition:
    """What the seeds of one group of runs share."""

    scenario: str
    init: str
    rare_ratio: float | None = None
    variant: str = ""
    """The run's settings that vary within its scenario besides init, ratio and seed."""

    @property
    def label(self) -> str:
        return condition_label(self.init, self.rare_ratio, self.variant)

    @property
    def short_label(self) -> str:
        """The label without the variant, for a figure whose title names it."""
        return condition_label(self.init, self.rare_ratio)

    def sort_key(self) -> tuple:
        """Scenarios in order, then each variant's inits together (a figure per variant)."""
        order = scenario_order(self.scenario)
        return (order, self.variant, init_rank(self.init), self.rare_ratio or 0.0)

    def init_key(self) -> tuple:
        """Scenarios in order, then each init's variants together (a table per scenario)."""
        order = scenario_order(self.scenario)
        return (order, init_rank(self.init), self.rare_ratio or 0.0, self.variant)


Groups = dict[Condition, list[dict]]


def format_ratio(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def run_config(run: dict) -> dict:
    """A stored run's saved config, as this version names its sections (old results call the
    toy section "data")."""
    return stored_config(run["result"]["config"])


def scenario_of(run: dict) -> str:
    """What a run trained on, from its saved config: the toy scenario DIMxFEATURES, the model
    and hook of its activations, or its data ("npz:PATH"). A store written before it labelled
    runs by their data names every run by its toy settings, so its column is used only for a
    run without a saved result (a hand-made one)."""
    if "result" not in run:
        return run["scenario"]
    info = run["result"].get("data_info") or {}
    if "hook_name" in info:
        return f"{info['model']} {info['hook_name']}"
    return data_label(run_config(run))


def scenario_size(scenario: str) -> tuple[int, int] | None:
    """(dim, features) of a toy scenario, "DIMxFEATURES"; None for a run on real data."""
    parts = scenario.split("x")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        return None
    return int(parts[0]), int(parts[1])


def scenario_order(scenario: str) -> tuple:
    """Toy scenarios by size, then real data by name."""
    size = scenario_size(scenario)
    return (0, size, "") if size else (1, (), scenario)


def condition_label(init: str, rare_ratio: float | None, variant: str = "") -> str:
    """ "centroid 5% [dict_size=512]": the init, its rare ratio and its variant, where given."""
    ratio = "" if rare_ratio is None else f" {format_ratio(rare_ratio)}"
    return f"{init}{ratio}{f' [{variant}]' if variant else ''}"


def init_rank(init: str) -> tuple[int, str]:
    """The registry's order (baselines, data inits, rare inits); unknown names last."""
    known = init_names()
    return (known.index(init) if init in known else len(known)), init


CONDITION_SETTINGS = {"scenario", "dim", "features", "init", "rare_ratio", "seed", "data_seed"}
"""Settings a condition names by itself, or that only seed it: never part of a variant."""


def variants(runs: list[dict], named: set[str] = CONDITION_SETTINGS) -> list[str]:
    """For each run, "name=value, ..." of its settings whose values differ among the runs of
    its scenario (a setting a run does not give is at its default, and left out), except the
    `named` ones that the grouping names by itself."""
    scenario = [scenario_of(run) for run in runs]
    by_scenario: dict[str, list[dict]] = defaultdict(list)
    for run, name in zip(runs, scenario, strict=True):
        by_scenario[name].append(run.get("settings", {}))
    varying = {
        scenario: sorted(
            name
            for name in set().union(*given) - named
            if len({json.dumps(settings.get(name)) for settings in given}) > 1
        )
        for scenario, given in by_scenario.items()
    }
    labels = []
    for run, name in zip(runs, scenario, strict=True):
        given = run.get("settings", {})
        names = [setting for setting in varying[name] if setting in given]
        labels.append(", ".join(f"{setting}={given[setting]}" for setting in names))
    return labels


def group_runs(
    runs: list[dict],
    named: set[str] = CONDITION_SETTINGS,
    order: Callable[[Condition], tuple] = Condition.sort_key,
) -> Groups:
    """Runs by condition, conditions in `order` and each group's runs by seed; `named`: the
    settings the grouping names by itself (see `variants`)."""
    groups: dict[Condition, list[dict]] = defaultdict(list)
    for run, variant in zip(runs, variants(runs, named), strict=True):
        condition = Condition(scenario_of(run), run["init"], run["rare_ratio"], variant)
        groups[condition].append(run)
    return {
        condition: sorted(groups[condition], key=lambda run: run["seed"])
        for condition in sorted(groups, key=order)
    }


def scenarios(groups: Groups) -> list[str]:
    return list(dict.fromkeys(condition.scenario for condition in groups))


def find(groups: Groups, scenario: str, init: str, ratio: float | None = None) -> list[dict]:
    """The runs of one condition ([] if absent); ratios match to a relative 1e-9."""
    for condition, runs in groups.items():
        if condition.scenario != scenario or condition.init != init:
            continue
        if ratio is None and condition.rare_ratio is None:
            return runs
        if None not in (ratio, condition.rare_ratio) and math.isclose(ratio, condition.rare_ratio):
            return runs
    return []


@dataclass(frozen=True)
class Measure:
    """One way to count how long a run took to reach a threshold."""

    name: str
    unit: str
    part: str
    """The crossing column's part: step, samples or seconds."""
    spent: Callable[[dict], float]
    """How much of it a run spent in all (the bound for a threshold it never reached)."""
    init: Callable[[dict], float] | None = None
    """How much of it the run's init spent, added to both (None: the training's alone)."""

    def offset(self, run: dict) -> float:
        return self.init(run) if self.init else 0.0


STEPS = Measure("steps", "steps", "step", lambda run: run["steps"])
SAMPLES = Measure(
    "samples (+init)", "samples", "samples", lambda run: run["samples"],
    init=lambda run: run.get("result", {}).get("init_samples", 0),
)  # fmt: skip
"""Every sample counts: the init's own (none recorded before 2026-12-06) beside training's."""
TRAIN_SECONDS = Measure("training seconds", "s", "seconds", lambda run: run["train_seconds"])
TOTAL_SECONDS = Measure(
    "init + training seconds", "s", "seconds", lambda run: run["train_seconds"],
    init=lambda run: run["init_seconds"],
)  # fmt: skip
MEASURES = (STEPS, SAMPLES, TRAIN_SECONDS, TOTAL_SECONDS)


@dataclass(frozen=True)
class Outcomes:
    """One measure of a group's runs at one threshold."""

    reached: list[float]
    """The measure at the crossing, for each run that reached the threshold."""
    not_reached_within: list[float]
    """How much each run that never reached the threshold spent."""

    @property
    def runs(self) -> int:
        return len(self.reached) + len(self.not_reached_within)

    def median(self) -> float:
        """Median over all runs, a run that never reached the threshold counting as slower
        than any that did (inf); nan for no runs."""
        values = self.reached + [math.inf] * len(self.not_reached_within)
        return statistics.median(values) if values else math.nan


def outcomes(runs: list[dict], threshold: float, measure: Measure) -> Outcomes:
    reached, not_reached = [], []
    for run in runs:
        value = run[threshold_column(threshold, measure.part)]
        if value is None:
            not_reached.append(measure.spent(run) + measure.offset(run))
        else:
            reached.append(value + measure.offset(run))
    return Outcomes(reached, not_reached)


def measured(runs: list[dict], column: str) -> list[float]:
    """A column's values over runs, leaving out runs that did not measure it (None)."""
    return [run[column] for run in runs if run[column] is not None]


@dataclass(frozen=True)
class Curve:
    """One measure of a group's runs against steps (or seconds): mean, min and max over
    runs."""

    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


def mmcs_curve(histories: list[list[dict]], reached_target: list[bool]) -> Curve | None:
    """Mean and min–max of MMCS over runs on the union of their logged steps (None if no run
    measured MMCS). A run that stopped at its target keeps its last value afterwards (it
    would not have fallen); a run that ran out of budget counts only up to its last step."""
    rows = [[row for row in history if row["mmcs"] is not None] for history in histories]
    steps = np.array(sorted({row["step"] for history in rows for row in history}), dtype=float)
    columns = [
        on_steps(history, steps, extend)
        for history, extend in zip(rows, reached_target, strict=True)
        if history
    ]
    if not columns:
        return None
    table = np.vstack(columns)
    return Curve(steps, np.nanmean(table, 0), np.nanmin(table, 0), np.nanmax(table, 0))


def on_steps(history: list[dict], steps: np.ndarray, extend: bool) -> np.ndarray:
    """A run's MMCS at the given steps: interpolated between its logged rows, its last value
    after its end if `extend`, else nan."""
    xs = [row["step"] for row in history]
    ys = [row["mmcs"] for row in history]
    return np.interp(steps, xs, ys, left=np.nan, right=ys[-1] if extend else np.nan)


def by_step(history: list[dict]) -> dict[int, dict]:
    return {row["step"]: row for row in history}


def history_curve(histories: list[list[dict]], xkey: str, ykey: str) -> Curve:
    """Mean, min and max of ykey over runs at the steps all of them logged; x is the step, or
    the mean of xkey over runs at those steps."""
    rows = [by_step(history) for history in histories]
    steps = sorted(set.intersection(*(set(row) for row in rows)))
    table = np.array([[row[s][ykey] for s in steps] for row in rows], dtype=float)
    if xkey == "step":
        xs = np.array(steps, dtype=float)
    else:
        xs = np.array([[row[s][xkey] for s in steps] for row in rows], dtype=float).mean(axis=0)
    return Curve(xs, table.mean(axis=0), table.min(axis=0), table.max(axis=0))
