import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from saeinit.config import ConfigError
from saeinit.experiments import ResultStore, StoreError, grid_from_dict
from saeinit.experiments.sweep import sweep

TINY_BASE = {"scenario": "8x16", "eval_samples": 128, "log_every": 10}


def tiny_result(store_path, **settings):
    spec = grid_from_dict({"base": TINY_BASE | {"max_steps": 20} | settings})
    with ResultStore(store_path) as store:
        summary = sweep(spec, store, workers=1, progress=False)
        return summary, store.runs()


def test_sweep_stores_runs_with_history_and_resumes(tmp_path):
    path = tmp_path / "r.sqlite"
    summary, runs = tiny_result(path)
    assert (summary.total, summary.skipped, summary.finished) == (1, 0, 1)
    (run,) = runs
    assert run["scenario"] == "8x16" and run["init"] == "orthogonal" and run["steps"] == 20
    assert run["rare_ratio"] is None  # orthogonal has no rare ratio
    assert run["t99_step"] is None and run["result"]["thresholds"]["0.99"] is None
    with ResultStore(path) as store:
        assert [row["step"] for row in store.history(run["key"])] == [0, 10, 20]
    summary, runs = tiny_result(path)
    assert (summary.skipped, summary.finished, len(runs)) == (1, 0, 1)


def test_a_run_deleted_by_hand_is_trained_and_stored_again(tmp_path):
    # Deleting a run's row by hand (to retrain it) leaves its history rows; the rerun's rows
    # replace them instead of colliding with them.
    path = tmp_path / "r.sqlite"
    _, (run,) = tiny_result(path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM runs WHERE key = ?", (run["key"],))
    summary, runs = tiny_result(path)
    assert (summary.skipped, summary.finished, len(runs)) == (0, 1, 1)
    with ResultStore(path) as store:
        assert [row["step"] for row in store.history(run["key"])] == [0, 10, 20]


def test_a_failed_write_leaves_no_partial_run(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        result = {
            "config": {
                "toy": {"dim": 8, "features": 16},
                "init": {"init": "orthogonal", "rare_ratio": 0.0},
                "train": {"seed": 0},
            },
            "thresholds": {"0.95": None, "0.98": None, "0.99": None},
            **dict.fromkeys(("dict_size", "mmcs_initial", "mmcs_final", "init_seconds"), 0),
            **dict.fromkeys(("train_seconds", "steps", "samples", "stopped"), 0),
            "history": [{"step": 0}, {"step": 0}],  # duplicate step: the insert fails midway
        }
        with pytest.raises(sqlite3.IntegrityError):
            store.add("k", {}, result)
        assert store.keys() == set()
        assert store.db.execute("SELECT count(*) FROM history").fetchone()[0] == 0


def test_sigkilled_sweep_resumes_with_every_run_exactly_once(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(
        '[base]\nscenario = "8x16"\nmax_steps = 1500\neval_samples = 128\n'
        "[[axes]]\nseed = [0, 1, 2, 3, 4]\n"
    )
    store_path = tmp_path / "r.sqlite"
    command = [sys.executable, "-m", "saeinit", "sweep", str(grid), "--store", str(store_path)]
    process = subprocess.Popen(
        [*command, "--workers", "1"], start_new_session=True, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    stored = 0
    while time.time() < deadline and stored == 0:
        time.sleep(0.2)
        if store_path.exists():
            with ResultStore(store_path) as store:
                stored = len(store.keys())
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert 1 <= stored < 5, "the sweep was not killed part way"
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert "already stored" in finished.stdout
    with ResultStore(store_path) as store:
        runs = store.runs()
        assert sorted(run["seed"] for run in runs) == [0, 1, 2, 3, 4]
        for run in runs:
            steps = [row["step"] for row in store.history(run["key"])]
            assert steps == sorted(set(steps)) and steps[-1] == run["steps"]


def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"definitely not sqlite" * 100)
    before = junk.read_bytes()
    with pytest.raises(StoreError, match="not a readable saeinit result store"):
        ResultStore(junk)
    assert junk.read_bytes() == before

    foreign = tmp_path / "foreign.sqlite"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE people (name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="not a saeinit result store"):
        ResultStore(foreign)
    db = sqlite3.connect(foreign)
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["people"]


def test_cli_reports_a_corrupt_store_in_one_line(tmp_path, capsys):
    from saeinit.cli import main

    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"x" * 4096)
    grid = tmp_path / "grid.toml"
    grid.write_text('[base]\nscenario = "8x16"\n')
    assert main(["sweep", str(grid), "--store", str(junk)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--store" in err


def test_two_handles_opening_a_new_store_at_once_both_work(tmp_path):
    path = tmp_path / "new.sqlite"
    path.touch()  # an empty file, as a second process sees a store being created
    first, second = ResultStore(path), ResultStore(path)
    assert first.keys() == second.keys() == set()
    first.close()
    second.close()


def test_a_store_without_a_newer_column_gets_it_and_keeps_its_runs(tmp_path):
    path = tmp_path / "r.sqlite"
    tiny_result(path)
    db = sqlite3.connect(path)
    with db:  # a store from before the history had an l0 column
        db.execute("ALTER TABLE history DROP COLUMN l0")
    db.close()
    with ResultStore(path) as store:
        (run,) = store.runs()
        assert [row["l0"] for row in store.history(run["key"])] == [None, None, None]
    summary, runs = tiny_result(path, seed=1)
    assert summary.finished == 1 and len(runs) == 2
    with ResultStore(path) as store:
        assert all(row["l0"] is not None for row in store.history(runs[1]["key"]))


def test_runs_on_real_data_are_labelled_by_their_data(tmp_path):
    from saeinit.training.settings import data_label

    assert data_label({"toy": {"dim": 8, "features": 16}, "acts": {"activations": "a/b"}}) == (
        "activations:a/b"
    )
    assert data_label({"data": {"dim": 8, "features": 16}, "data_file": "x.npz"}) == "npz:x.npz"
    assert data_label({"data": {"dim": 8, "features": 16}, "data_file": None}) == "8x16"


def test_a_run_stored_under_an_old_default_stops_the_sweep_naming_the_setting(tmp_path):
    import json

    path = tmp_path / "r.sqlite"
    tiny_result(path, init="mod", init_samples=64)
    db = sqlite3.connect(path)
    (key, text) = db.execute("SELECT key, result FROM runs").fetchone()
    result = json.loads(text)
    result["config"]["init"]["mod_iters"] += 5  # as if the default had changed since
    result["config"]["data"] = result["config"].pop("toy")  # and stored before the rename
    with db:
        db.execute("UPDATE runs SET result = ? WHERE key = ?", (json.dumps(result), key))
    db.close()
    with pytest.raises(ConfigError, match=r"init\.mod_iters 10 \(now 5\)"):
        tiny_result(path, init="mod", init_samples=64)
    with ResultStore(path) as store:
        assert len(store.keys()) == 1


def test_a_refused_resume_writes_nothing_to_the_store(tmp_path):
    import json

    path = tmp_path / "r.sqlite"
    tiny_result(path)
    db = sqlite3.connect(path)
    (key, text) = db.execute("SELECT key, result FROM runs").fetchone()
    result = json.loads(text)
    result["config"]["train"]["lr"] *= 2  # made with other settings than its grid point now
    with db:
        db.execute("UPDATE runs SET result = ? WHERE key = ?", (json.dumps(result), key))
    db.close()
    before = path.read_bytes()
    spec = grid_from_dict({"title": "a new title", "base": TINY_BASE | {"max_steps": 20}})
    with ResultStore(path) as store, pytest.raises(ConfigError, match=r"train\.lr"):
        sweep(spec, store, workers=1, progress=False)
    assert path.read_bytes() == before  # the title and note were not rewritten either


def test_a_run_whose_steps_were_epochs_stops_the_sweep(tmp_path):
    import json

    path = tmp_path / "r.sqlite"
    tiny_result(path, dataset_size=512, batch_size=64)
    db = sqlite3.connect(path)
    (key, text) = db.execute("SELECT key, result FROM runs").fetchone()
    result = json.loads(text)
    del result["step_unit"]  # as stored when a step on a fixed dataset was an epoch
    with db:
        db.execute("UPDATE runs SET result = ? WHERE key = ?", (json.dumps(result), key))
    db.close()
    with pytest.raises(ConfigError, match="a step on a fixed dataset was a whole epoch"):
        tiny_result(path, dataset_size=512, batch_size=64)


def test_a_run_on_a_one_draw_toy_dataset_stops_the_sweep(tmp_path):
    import json

    path = tmp_path / "r.sqlite"
    tiny_result(path, dataset_size=512, batch_size=64)
    tiny_result(path, dataset_size=512, batch_size=64)  # resumes over its own run
    db = sqlite3.connect(path)
    (key, text) = db.execute("SELECT key, result FROM runs").fetchone()
    result = json.loads(text)
    del result["toy_dataset_draw"]  # as stored when the dataset shared one copula draw
    with db:
        db.execute("UPDATE runs SET result = ? WHERE key = ?", (json.dumps(result), key))
    db.close()
    with pytest.raises(ConfigError, match="one copula draw for all its samples"):
        tiny_result(path, dataset_size=512, batch_size=64)


def test_live_mmcs_is_stored_with_its_crossings_beside_mmcs(tmp_path):
    path = tmp_path / "r.sqlite"
    _, (run,) = tiny_result(path, init="oracle", encoder_init="tied")
    result = run["result"]
    assert run["live_mmcs_initial"] == result["live_mmcs_initial"] == pytest.approx(1.0)
    assert run["live_mmcs_final"] == result["live_mmcs_final"]
    assert (run["live_t99_step"], run["live_t99_samples"], run["live_t99_seconds"]) == (0, 0, 0.0)
    assert run["t99_step"] == 0  # MMCS 1 too: the run stopped at its start
    _, runs = tiny_result(path, seed=1)  # orthogonal: live MMCS measured, no crossing
    with ResultStore(path, readonly=True) as store:
        rows = store.history(runs[1]["key"])
    assert [row["live_mmcs"] for row in rows] == [
        r["live_mmcs"] for r in runs[1]["result"]["history"]
    ]
    assert all(row["live_mmcs"] is not None for row in rows)
    assert runs[1]["live_t95_step"] is None


def test_a_store_from_before_live_mmcs_opens_and_gets_its_columns(tmp_path):
    path = tmp_path / "r.sqlite"
    tiny_result(path)
    db = sqlite3.connect(path)
    live = [row[1] for row in db.execute("PRAGMA table_info(runs)") if row[1].startswith("live")]
    assert len(live) == 2 + 9  # initial, final, and 3 parts of 3 thresholds
    with db:  # as written before live MMCS was measured
        for column in live:
            db.execute(f"ALTER TABLE runs DROP COLUMN {column}")
        db.execute("ALTER TABLE history DROP COLUMN live_mmcs")
    db.close()
    with ResultStore(path, readonly=True) as store:  # a report reads it as it is
        (old,) = store.runs()
        assert old["live_mmcs_initial"] is None and old["live_t95_step"] is None
        assert {row["live_mmcs"] for row in store.history(old["key"])} == {None}
    summary, runs = tiny_result(path, seed=1)  # opened for writing: the columns are added
    assert summary.finished == 1 and runs[0]["live_mmcs_initial"] is None
    assert runs[1]["live_mmcs_initial"] is not None
    with ResultStore(path) as store:
        assert all(row["live_mmcs"] is not None for row in store.history(runs[1]["key"]))


def test_a_store_whose_creation_failed_half_way_opens_as_a_new_one(tmp_path, monkeypatch):
    """The tables and the schema row are created in one transaction: a creation stopped after
    the first table (here by an error in the last) leaves no store without its schema."""
    import saeinit.experiments.store as store_module

    path = tmp_path / "half.sqlite"
    columns = store_module.HISTORY_COLUMNS
    monkeypatch.setattr(store_module, "HISTORY_COLUMNS", ["not valid sql ("])
    with pytest.raises(StoreError, match="syntax error"):
        ResultStore(path)
    monkeypatch.setattr(store_module, "HISTORY_COLUMNS", columns)
    with ResultStore(path) as store:
        assert store.keys() == set()
