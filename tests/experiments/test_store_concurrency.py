"""Two sweeps (two connections, two processes) on one store at once."""

import importlib
import json
import sqlite3
import subprocess
import sys
import time

import pytest

from saeinit.experiments import ResultStore, grid_from_dict
from saeinit.experiments.store import StoreError
from saeinit.experiments.sweep import sweep

sweep_module = importlib.import_module("saeinit.experiments.sweep")
store_module = importlib.import_module("saeinit.experiments.store")

OPEN_TOGETHER = """
import json, pathlib, sys, time
ready, go = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
from saeinit.experiments import ResultStore
ready.touch()
while not go.exists():
    time.sleep(0.005)
with ResultStore(sys.argv[1]) as store:
    if len(sys.argv) > 4:
        print(store.add("k", {"seed": 0}, json.loads(pathlib.Path(sys.argv[4]).read_text())))
"""


def open_together(tmp_path, store, processes, *args):
    """Start processes that each open `store` (and add a run, given its result file) at the
    same moment, once all have imported saeinit; their completed processes."""
    script = tmp_path / "open_together.py"
    script.write_text(OPEN_TOGETHER)
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(processes)]
    started = [
        subprocess.Popen(
            [sys.executable, str(script), str(store), str(flag), str(go), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    deadline = time.time() + 120
    while not all(flag.exists() for flag in ready) and time.time() < deadline:
        time.sleep(0.02)
    go.touch()
    return [(p.wait(timeout=120), *p.communicate()) for p in started]


def test_add_skips_a_run_another_connection_stored_meanwhile(tmp_path, fake_result):
    path = tmp_path / "r.sqlite"
    with ResultStore(path) as first, ResultStore(path) as second:
        assert first.keys() == second.keys() == set()  # both sweeps see the run missing
        assert first.add("k", {"seed": 0}, fake_result(0)) is True
        assert second.add("k", {"seed": 0}, fake_result(0)) is False
    with ResultStore(path) as store:
        assert store.keys() == {"k"} and len(store.history("k")) == 40


def test_two_processes_storing_the_same_run_at_once_both_succeed(tmp_path, fake_result):
    path = tmp_path / "r.sqlite"
    result = tmp_path / "result.json"
    result.write_text(json.dumps(fake_result(0)))
    ResultStore(path).close()
    outcomes = open_together(tmp_path, path, 2, result)
    assert [code for code, _, _ in outcomes] == [0, 0], [err for _, _, err in outcomes]
    assert sorted(out.strip() for _, out, _ in outcomes) == ["False", "True"]
    with ResultStore(path) as store:
        assert store.keys() == {"k"} and len(store.history("k")) == 40


def test_processes_opening_an_older_store_at_once_all_migrate_it(tmp_path, fake_store):
    import sqlite3

    path = fake_store(runs=2)
    db = sqlite3.connect(path)
    with db:  # a store from before the history had l0, dead and fvu columns
        for column in ("l0", "dead", "fvu"):
            db.execute(f"ALTER TABLE history DROP COLUMN {column}")
    db.close()
    outcomes = open_together(tmp_path, path, 4)
    assert [code for code, _, _ in outcomes] == [0] * 4, [err for _, _, err in outcomes]
    with ResultStore(path, readonly=True) as store:
        assert store.history("k0")[0]["l0"] is None and len(store.keys()) == 2


def test_a_sweep_keeps_going_when_another_stored_its_run_meanwhile(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite"
    real = sweep_module.run_local

    def racing(points, workers):
        """The real runs, each stored by another sweep's connection just before this sweep
        gets to store it."""
        for outcome in real(points, workers):
            with ResultStore(path) as other:
                other.add(outcome.point.key, outcome.point.settings, outcome.result)
            yield outcome

    monkeypatch.setattr(sweep_module, "run_local", racing)
    base = {"scenario": "8x16", "eval_samples": 128, "log_every": 10, "max_steps": 20}
    spec = grid_from_dict({"base": base, "axes": [{"seed": [0, 1]}]})
    with ResultStore(path) as store:
        summary = sweep(spec, store, workers=1, progress=False)
    assert (summary.total, summary.finished, summary.failed) == (2, 2, [])
    with ResultStore(path) as store:
        runs = store.runs()
        assert sorted(run["seed"] for run in runs) == [0, 1]
        assert all(len(store.history(run["key"])) == 3 for run in runs)


def test_two_sweep_commands_on_one_store_at_once_both_succeed(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(  # one run, which both compute and both store
        '[base]\nscenario = "8x16"\nmax_steps = 20\neval_samples = 128\nlog_every = 10\n'
    )
    store = tmp_path / "r.sqlite"
    command = [sys.executable, "-m", "saeinit", "sweep", str(grid), "--store", str(store)]
    sweeps = [
        subprocess.Popen(
            [*command, "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    finished = [(p.wait(timeout=300), *p.communicate()) for p in sweeps]
    assert [code for code, _, _ in finished] == [0, 0], [err for _, _, err in finished]
    with ResultStore(store) as opened:
        (run,) = opened.runs()
        assert [row["step"] for row in opened.history(run["key"])] == [0, 10, 20]


def locked_for(calls: int):
    """ResultStore._open that finds the database locked on its first `calls` calls (as SQLite
    answers a connection that would deadlock with another), then opens it."""
    opened = ResultStore._open
    seen = []

    def open_(self):
        seen.append(self.path)
        if len(seen) <= calls:
            self.db = sqlite3.connect(self.path)  # an attempt's connection is closed after it
            raise sqlite3.OperationalError("database is locked")
        opened(self)

    return open_, seen


def test_opening_retries_while_the_database_is_locked(tmp_path, monkeypatch):
    open_, seen = locked_for(2)
    monkeypatch.setattr(ResultStore, "_open", open_)
    with ResultStore(tmp_path / "r.sqlite") as store:
        assert store.keys() == set()
    assert len(seen) == 3


def test_a_lock_held_past_the_retries_is_refused_in_one_line(tmp_path, monkeypatch):
    open_, seen = locked_for(10**6)
    monkeypatch.setattr(ResultStore, "_open", open_)
    monkeypatch.setattr(store_module, "LOCKED_RETRY_SECONDS", 0.3)
    with pytest.raises(StoreError, match="not a readable saeinit result store: database is locked"):
        ResultStore(tmp_path / "r.sqlite")
    assert 2 <= len(seen) < 20
