"""Experiments: grid specs, the SQLite result store, executors and sweeps (`sweep` is in
`saeinit.experiments.sweep`)."""

from saeinit.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "GridPoint": "saeinit.experiments.grid",
        "GridSpec": "saeinit.experiments.grid",
        "grid_from_dict": "saeinit.experiments.grid",
        "load_grid": "saeinit.experiments.grid",
        "run_key": "saeinit.experiments.grid",
        "ResultStore": "saeinit.experiments.store",
        "StoreError": "saeinit.experiments.store",
        "SweepSummary": "saeinit.experiments.sweep",
    },
)
