"""The race: a baseline init against the best informed init on the same toy data, one SAE
per entry, scenario and seed, trained through `sweep` into a result store that a second call
reuses; the numbers are medians over seeds, and a threshold that at most half the seeds reached
is "not reached", never a budget in its place. Every sample counts: the samples to a threshold
add the init's own to the training's, as the seconds add the init's."""

from __future__ import annotations

import os
import statistics
import time
import warnings
from collections import defaultdict
from typing import NamedTuple

import torch

from saeinit import metrics
from saeinit.data.toy import ToyData
from saeinit.data.toy_config import ToyConfig, parse_scenario
from saeinit.experiments.grid import GridSpec
from saeinit.experiments.race_config import (
    SKLEARN_BATCH,
    SKLEARN_FIT,
    SKLEARN_TARGET,
    RaceConfig,
    entry_of,
)
from saeinit.experiments.store import CROSSING_PARTS, ResultStore, threshold_column
from saeinit.experiments.sweep import SweepSummary, sweep
from saeinit.training.config import THRESHOLDS


class Crossing(NamedTuple):
    """When an entry first reached a threshold (medians over seeds, None: not reached); the
    samples count the init's own beside the training's, the seconds include the init's, the
    steps are training steps, and `reached` counts the seeds that reached it."""

    samples: float | None
    steps: float | None
    seconds: float | None
    reached: int


class EntryNumbers(NamedTuple):
    """What one entry's runs on one scenario measured (medians over seeds)."""

    mmcs_start: float
    mmcs_end: float
    init_seconds: float
    init_samples: float | None
    """The samples the init drew (None: a run stored before they were recorded)."""
    crossings: dict[float, Crossing]
    kept: dict[float, Crossing]
    """From when the measure stays at or above each threshold to the end of the run (its
    history rows, medians over seeds): a start above a threshold that training then loses
    crosses it at step 0 but keeps it only from where it climbs back."""
    fired: tuple[float, float] | None
    """Features that fired at least 1 and 10 times in a run's samples (None: not recorded)."""


def median_or_none(values: list) -> float | None:
    """Median over seeds, those that never reached it counted slowest; None unless most did."""
    reached = sorted(v for v in values if v is not None)
    if len(reached) * 2 <= len(values):
        return None
    return statistics.median(reached + [float("inf")] * (len(values) - len(reached)))


def init_samples(run: dict) -> int:
    """The samples a stored run's init drew (0 for a run stored before they were recorded)."""
    return run["result"].get("init_samples", 0)


def entry_numbers(runs: list[dict], live: bool = False) -> EntryNumbers:
    """The numbers of one entry's stored runs (one per seed) on one scenario, of MMCS or, when
    `live`, of live MMCS."""
    prefix = "live_" if live else ""

    def median(column: str) -> float:
        return statistics.median(run[column] for run in runs)

    crossings = {}
    for threshold in THRESHOLDS:
        step, samples, seconds = (threshold_column(threshold, p, live) for p in CROSSING_PARTS)
        took = [None if r[seconds] is None else r[seconds] + r["init_seconds"] for r in runs]
        drew = [None if r[samples] is None else r[samples] + init_samples(r) for r in runs]
        steps = median_or_none([run[step] for run in runs])
        reached = sum(run[samples] is not None for run in runs)
        crossings[threshold] = Crossing(median_or_none(drew), steps, median_or_none(took), reached)
    kept = {threshold: kept_from(runs, threshold, live) for threshold in THRESHOLDS}
    counted = [f for f in (run["result"].get("features_fired") for run in runs) if f]
    # runs stored before the feature ceiling was recorded have none
    fired = tuple(statistics.median(f[n] for f in counted) for n in ("1", "10") if counted)
    recorded = all("init_samples" in run["result"] for run in runs)
    return EntryNumbers(
        median(f"{prefix}mmcs_initial"), median(f"{prefix}mmcs_final"), median("init_seconds"),
        statistics.median(init_samples(run) for run in runs) if recorded else None,
        crossings, kept,
        fired or None,
    )  # fmt: skip


def kept_from(runs: list[dict], threshold: float, live: bool) -> Crossing:
    """The history row of each run from which its MMCS (or live MMCS) stays at or above
    `threshold` to the end (none where the last row is below), as medians over the runs; the
    samples count the init's and the seconds include its."""
    column = "live_mmcs" if live else "mmcs"
    rows = [_stays_from(run["history"], column, threshold) for run in runs]
    pairs = list(zip(rows, runs, strict=True))
    took = [None if row is None else row["seconds"] + run["init_seconds"] for row, run in pairs]
    drew = [None if row is None else row["samples"] + init_samples(run) for row, run in pairs]
    steps = median_or_none([None if row is None else row["step"] for row in rows])
    reached = sum(row is not None for row in rows)
    return Crossing(median_or_none(drew), steps, median_or_none(took), reached)


def _stays_from(history: list[dict], column: str, threshold: float) -> dict | None:
    """The earliest row from which every row's `column` is at least `threshold`."""
    found = None
    for row in reversed([row for row in history if row[column] is not None]):
        if row[column] < threshold:
            break
        found = row
    return found


def ratio(baseline: float | None, best: float | None, names: tuple[str, str]) -> str:
    """baseline / best as text, or why there is no ratio (never a budget for a threshold not
    reached)."""
    slow, fast = names
    if best is None:
        return "neither reached it" if baseline is None else f"not reached by {fast}"
    if baseline is None:
        return f"not reached by {slow}"
    if best == 0:
        return "both start at or above it" if baseline == 0 else f"{fast} starts at or above it"
    return f"{baseline / best:.2f}x"


class SklearnOutcome(NamedTuple):
    """Seconds until the components reached 0.95 MMCS (None: not in time), MMCS at the end,
    and how many partial_fit calls ran in how many seconds: the budget is checked between
    calls, so the last may run past it (one call can outlast the whole budget)."""

    seed: int
    seconds: float | None
    mmcs: float
    batches: int
    ran_seconds: float


def sklearn_race(scenario: str, seed: int, budget_s: float) -> SklearnOutcome:
    """MiniBatchDictionaryLearning (alpha 0.1, SKLEARN_FIT, one thread) fed fresh batches of
    the scenario's toy data, SKLEARN_BATCH samples per partial_fit, its components scored by
    MMCS after each until 0.95 or `budget_s` seconds (checked between calls)."""
    from sklearn.decomposition import MiniBatchDictionaryLearning
    from threadpoolctl import threadpool_limits

    dim, features = parse_scenario(scenario)
    toy = ToyData(ToyConfig(dim=dim, features=features, seed=seed))
    stream = toy.stream(SKLEARN_BATCH, seed)
    learner = MiniBatchDictionaryLearning(
        n_components=features, alpha=0.1, fit_algorithm=SKLEARN_FIT, random_state=seed
    )
    start, score, batches, elapsed = time.perf_counter(), 0.0, 0, 0.0
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while elapsed < budget_s:
            learner.partial_fit(next(stream).numpy())
            batches, elapsed = batches + 1, time.perf_counter() - start
            score = metrics.mmcs(toy.features, torch.from_numpy(learner.components_).float())
            if score >= SKLEARN_TARGET:
                return SklearnOutcome(seed, elapsed, score, batches, elapsed)
    return SklearnOutcome(seed, None, score, batches, elapsed)


class ScenarioRace(NamedTuple):
    """Per entry: its numbers, and its stored runs (one per seed) with their "history" rows;
    `sklearn` is None where scikit-learn was not raced."""

    scenario: str
    numbers: dict[str, EntryNumbers]
    runs: dict[str, list[dict]]
    sklearn: list[SklearnOutcome] | None = None


class RaceResult(NamedTuple):
    """The race's numbers per scenario; how many runs this call trained and how many it read."""

    config: RaceConfig
    scenarios: list[ScenarioRace]
    computed: int
    stored: int
    collapsed: list[str]
    """One line per run that ended collapsed (its numbers are in the table all the same)."""


class RaceFailed(RuntimeError):
    """Some runs failed (one line each in `args`); those that finished stay in the store."""


def trained_runs(config: RaceConfig, spec: GridSpec, echo=None) -> tuple[dict, SweepSummary]:
    """Train the runs of `spec` the store lacks (side by side, one torch thread each); every
    run with its "history", by (scenario, entry), a list over seeds; `echo` gets a line
    before training starts."""
    path = config.store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    points = spec.points()
    with ResultStore(path) as store:
        todo = len({p.key for p in points} - store.keys())
        if echo is not None:
            at_once = min(config.workers or os.cpu_count() or 1, todo)
            echo(
                f"{len(points)} SAE runs: {len(points) - todo} from {path}, {todo} to train"
                + (f" ({at_once} at a time, one torch thread each)" if todo else "")
            )
        summary = sweep(spec, store, workers=config.workers, progress=False)
        if summary.failed:
            raise RaceFailed(*summary.failed)
        stored = {run["key"]: run for run in store.runs()}
        runs = defaultdict(list)
        for p in points:
            run = stored[p.key] | {"history": store.history(p.key)}
            runs[run["scenario"], entry_of(p.settings)].append(run)
    return runs, summary


def race(config: RaceConfig, echo=None) -> RaceResult:
    """Train the runs the store lacks, then measure every entry on every scenario."""
    runs, summary = trained_runs(config, config.spec(), echo)
    scenarios, seeds = [], config.seed_list()
    for scenario in config.scenario_list():
        found = {entry: runs[scenario, entry] for entry in config.entry_list()}
        numbers = {e: entry_numbers(runs_of_e, config.live()) for e, runs_of_e in found.items()}
        ours = numbers[config.pair()[1]].crossings[SKLEARN_TARGET].seconds
        raced = config.sklearn_seconds is not None and ours is not None  # else no time to beat
        sklearn = (
            [sklearn_race(scenario, s, config.sklearn_seconds) for s in seeds] if raced else None
        )
        scenarios.append(ScenarioRace(scenario, numbers, found, sklearn))
    return RaceResult(config, scenarios, summary.finished, summary.skipped, summary.collapsed)
