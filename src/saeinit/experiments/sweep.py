"""Run a grid into a result store, skipping the runs it already holds."""

from __future__ import annotations

from typing import NamedTuple

from tqdm.auto import tqdm

from saeinit.config import ConfigError, require_choice
from saeinit.experiments.executors import EXECUTORS, run_local, run_ray
from saeinit.experiments.grid import GridPoint, GridSpec
from saeinit.experiments.store import ResultStore
from saeinit.identity import differing, identity
from saeinit.training.settings import one_draw_toy_dataset, step_unit


class SweepSummary(NamedTuple):
    total: int
    skipped: int
    finished: int
    failed: list[str]
    """One line per failed run: its key, settings and error."""
    collapsed: list[str] = []
    """One line per stored run of the grid that ended collapsed (stored now or before) and
    whose settings do not allow it: its key, settings and why."""


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
    done = store.keys()
    check_stored(points, store, done)  # before anything is written to the store
    meta = store.meta()
    for name, value in (("title", spec.title), ("note", spec.note)):
        if meta.get(name) != value:
            store.set_meta(name, value)
    todo = [p for p in points if p.key not in done]
    outcomes = run_local(todo, workers) if executor == "local" else run_ray(todo, ray_address)
    failed = []
    finished = 0
    with tqdm(total=len(todo), disable=not progress or not todo, unit="run") as bar:
        for outcome in outcomes if todo else ():
            if outcome.error is None:
                # False when another sweep on this store stored the same run meanwhile.
                store.add(outcome.point.key, outcome.point.settings, outcome.result)
                finished += 1
            else:
                failed.append(f"{outcome.point.key} {outcome.point.settings}: {outcome.error}")
            bar.update(1)
    refused = {p.key: p for p in points if not p.config.train.allow_collapse}
    collapsed = [
        f"{key} {refused[key].settings}: {why}"
        for key, why in store.collapsed(set(refused)).items()
    ]
    return SweepSummary(len(points), len(points) - len(todo), finished, failed, collapsed)


def check_stored(points: list[GridPoint], store: ResultStore, done: set[str]) -> None:
    """Refuse to resume over a stored run whose saved config differs from its grid point (a
    default changed since it ran, say), or whose steps were epochs of a fixed dataset (as
    steps were before they meant one batch everywhere), before any run computes."""
    stored = store.results({point.key for point in points} & done)
    for point in points:
        if point.key not in stored:
            continue
        saved, now = identity(stored[point.key]["config"]), identity(point.config)
        names = differing(saved, now)
        if names:
            values = ", ".join(
                f"{name} {_at(saved, name)!r} (now {_at(now, name)!r})" for name in names
            )
            raise ConfigError(
                "store",
                f"{store.path} holds run {point.key} made with other settings: {values}; "
                "use a new store, or pin the old values in the grid",
            )
        if step_unit(stored[point.key]) == "epoch":
            raise ConfigError(
                "store",
                f"{store.path} holds run {point.key} made when a step on a fixed dataset was a "
                "whole epoch (now one batch); use a new store for this grid",
            )
        if one_draw_toy_dataset(stored[point.key]):
            raise ConfigError(
                "store",
                f"{store.path} holds run {point.key} trained on a fixed toy dataset drawn with "
                "one copula draw for all its samples (now one per batch, as training draws "
                "them); use a new store for this grid",
            )


def _at(values: dict, dotted: str):
    for part in dotted.split("."):
        values = values[part]
    return values
