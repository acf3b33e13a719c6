"""Where the runs of a sweep execute: local processes (default) or a Ray cluster."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import NamedTuple

from saeinit.experiments.grid import GridPoint
from saeinit.training.settings import config_from_settings

EXECUTORS = ("local", "ray")


class Outcome(NamedTuple):
    point: GridPoint
    result: dict | None
    error: str | None


def run_settings(settings: dict) -> dict:
    """Run one grid point with one torch thread (parallel runs must not oversubscribe cores)."""
    from saeinit.training.run import run  # in the worker: the CLI lists executors without it

    return run(config_from_settings(settings | {"threads": 1, "progress": False})).result


def run_local(points: list[GridPoint], workers: int | None = None) -> Iterator[Outcome]:
    """Run points on local processes, one per core, yielding each as it finishes."""
    workers = workers or os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")  # no fork of a process holding OpenMP threads
    with ProcessPoolExecutor(max_workers=min(workers, len(points)), mp_context=context) as pool:
        pending = {pool.submit(run_settings, p.settings): p for p in points}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                point = pending.pop(future)
                error = future.exception()
                yield Outcome(point, None if error else future.result(), _describe(error))


def run_ray(points: list[GridPoint], address: str | None = None) -> Iterator[Outcome]:
    """Run points as Ray tasks of one CPU each, on the cluster at `address` (unset: a local
    Ray started for this sweep)."""
    try:
        import ray
    except ImportError as err:
        raise RuntimeError("the ray executor needs Ray: pip install 'saeinit[ray]'") from err
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1)(run_settings)
    pending = {remote.remote(p.settings): p for p in points}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                point = pending.pop(ref)
                try:
                    yield Outcome(point, ray.get(ref), None)
                except ray.exceptions.RayTaskError as err:
                    yield Outcome(point, None, _describe(err.cause or err))
    finally:
        if started_here:
            ray.shutdown()


def _describe(error: BaseException | None) -> str | None:
    return None if error is None else f"{type(error).__name__}: {error}"
