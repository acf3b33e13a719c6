import json
import sqlite3

import pytest

from saeinit.experiments.store import threshold_column
from saeinit.training.config import THRESHOLDS


def make_run(init, crossings=(None, None, None), ratio=None, seed=0, scenario="128x256", **kw):
    """A run dict as the store gives it, without its saved result; `crossings` are the steps
    to 0.95, 0.98 and 0.99 MMCS (None: not reached), each at 256 samples and 10 ms a step."""
    run = {
        "scenario": scenario,
        "init": init,
        "rare_ratio": ratio,
        "seed": seed,
        "steps": 1000,
        "samples": 256_000,
        "train_seconds": 10.0,
        "init_seconds": 2.0,
        "mmcs_initial": 0.5,
        "mmcs_final": 0.9,
        "stopped": "budget",
        "settings": {},
    } | kw
    for threshold, step in zip(THRESHOLDS, crossings, strict=True):
        run[threshold_column(threshold, "step")] = step
        run[threshold_column(threshold, "samples")] = None if step is None else step * 256
        run[threshold_column(threshold, "seconds")] = None if step is None else step / 100
    return run


@pytest.fixture
def fake_run():
    """make_run: hand-made runs for the aggregation, table, claim and figure rules."""
    return make_run


def rename_toy_section(config: dict) -> dict:
    """A saved config as results stored before the toy section was renamed hold it."""
    return {("data" if name == "toy" else name): value for name, value in config.items()}


def rewrite_results(store_path, change=rename_toy_section) -> None:
    """Change each stored result's saved config in place to what `change(config)` returns."""
    db = sqlite3.connect(store_path)
    with db:
        for key, result in list(db.execute("SELECT key, result FROM runs")):
            result = json.loads(result)
            result["config"] = change(result["config"])
            db.execute("UPDATE runs SET result = ? WHERE key = ?", (json.dumps(result), key))
    db.close()


@pytest.fixture
def rewrite_stored_configs():
    """rewrite_results: turn a store's results into old ones, or into runs on other data."""
    return rewrite_results
