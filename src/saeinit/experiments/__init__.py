"""Experiments: grid specs, the SQLite result store, executors and sweeps."""

from saeinit.experiments.grid import GridPoint, GridSpec, grid_from_dict, load_grid, run_key
from saeinit.experiments.store import ResultStore, StoreError
from saeinit.experiments.sweep import SweepSummary, sweep

__all__ = [
    "GridPoint",
    "GridSpec",
    "ResultStore",
    "StoreError",
    "SweepSummary",
    "grid_from_dict",
    "load_grid",
    "run_key",
    "sweep",
]
