"""Run a grid into a result store, skipping the runs it already holds."""

from __future__ import annotations

from typing import NamedTuple

from tqdm.auto import tqdm

from saeinit.config import require_choice
from saeinit.experiments.executors import EXECUTORS, run_local, run_ray
from saeinit.experiments.grid import GridSpec
from saeinit.experiments.store import ResultStore


class SweepSummary(NamedTuple):
    total: int
    skipped: int
    finished: int
    failed: list[str]
    """One line per failed run: its key, settings and error."""


def sweep(
    spec: GridSpec,
    store: ResultStore,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    progress: bool = True,
) -> SweepSummary:
    require_choice("executor", executor, EXECUTORS)
    points = spec.points()
    store.set_meta("title", spec.title)
    store.set_meta("note", spec.note)
    done = store.keys()
    todo = [p for p in points if p.key not in done]
    outcomes = run_local(todo, workers) if executor == "local" else run_ray(todo, ray_address)
    failed = []
    finished = 0
    with tqdm(total=len(todo), disable=not progress or not todo, unit="run") as bar:
        for outcome in outcomes if todo else ():
            if outcome.error is None:
                store.add(outcome.point.key, outcome.point.settings, outcome.result)
                finished += 1
            else:
                failed.append(f"{outcome.point.key} {outcome.point.settings}: {outcome.error}")
            bar.update(1)
    return SweepSummary(len(points), len(points) - len(todo), finished, failed)
