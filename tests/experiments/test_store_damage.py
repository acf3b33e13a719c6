"""Damaged, empty, missing and read-only result stores: refused in one line, left untouched."""

import os
import sqlite3

import pytest

from saeinit.experiments import ResultStore, StoreError


def snapshot(folder):
    """Every file in a folder and its bytes (sidecar files included)."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.mark.parametrize(
    "table,kind",
    [
        ("runs", "overflow"),  # the middle of a run's stored result: a data page
        ("runs", "leaf"),  # the page holding the runs' columns
        ("history", "leaf"),
        ("sqlite_autoindex_history_1", "leaf"),
        ("meta", "leaf"),
        ("sqlite_autoindex_runs_1", "leaf"),
    ],
)
def test_a_damaged_page_is_refused_and_the_file_left_byte_identical(
    fake_store, damage, tmp_path, table, kind
):
    path = fake_store(runs=4)
    page = damage(path, table, kind)
    assert 1 < page < path.stat().st_size // 4096  # inside the file, not its first page
    before = snapshot(tmp_path)
    with pytest.raises(StoreError, match="is damaged") as err:
        ResultStore(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    assert snapshot(tmp_path) == before  # no journal or WAL left behind either
    with pytest.raises(StoreError, match="is damaged"):
        ResultStore(path, readonly=True)
    assert path.read_bytes() == before[path.name]  # (a reader may leave SQLite's -shm file)


def test_sweep_and_report_refuse_a_damaged_store_in_one_line_changing_nothing(
    fake_store, damage, tmp_path, capsys
):
    from saeinit.cli import main

    path = fake_store(runs=4)
    grid = tmp_path / "grid.toml"
    grid.write_text('title = "another title"\n[base]\nscenario = "8x16"\nmax_steps = 5\n')
    for table, kind in (("meta", "leaf"), ("runs", "overflow")):
        damaged = tmp_path / f"{table}.sqlite"
        damaged.write_bytes(path.read_bytes())
        damage(damaged, table, kind)
        before = damaged.read_bytes()
        out = tmp_path / f"report-{table}"
        for command in (["sweep", str(grid)], ["report", "--out", str(out)]):
            assert main([*command, "--store", str(damaged)]) == 2
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1 and "--store" in err and "damaged" in err, err
            assert damaged.read_bytes() == before


def test_a_store_whose_header_is_damaged_is_refused(fake_store):
    path = fake_store(runs=1)
    data = bytearray(path.read_bytes())
    data[16:18] = b"\xa5\xa5"  # the page size: not a power of two
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="not a readable saeinit result store"):
        ResultStore(path, readonly=True)
    assert path.read_bytes() == bytes(data)


def test_read_only_opening_reads_everything_and_writes_nothing(fake_store, tmp_path):
    path = fake_store(runs=2)
    db = sqlite3.connect(path)
    with db:  # a store from before the history had an l0 column: read-only cannot add it
        db.execute("ALTER TABLE history DROP COLUMN l0")
    db.close()
    os.chmod(path, 0o444)
    before = snapshot(tmp_path)
    try:
        with ResultStore(path, readonly=True) as store:
            assert store.keys() == {"k0", "k1"} and store.meta()["title"] == "fake"
            runs = store.runs()
            assert [run["seed"] for run in runs] == [0, 1]
            assert runs[0]["result"]["config"]["toy"]["dim"] == 8
            history = store.history("k0")
            assert len(history) == 40 and history[3]["step"] == 30 and history[3]["l0"] is None
            assert store.results({"k1"})["k1"]["config"]["train"]["seed"] == 1
            with pytest.raises(StoreError, match="read-only"):
                store.set_meta("title", "changed")
            with pytest.raises(StoreError, match="read-only"):
                store.add("k9", {}, runs[0]["result"])
        assert path.read_bytes() == before[path.name]
    finally:
        os.chmod(path, 0o644)
    with ResultStore(path) as store:  # opened for writing, it gets the column
        assert store.history("k0")[3]["l0"] is None and store.meta()["title"] == "fake"


def test_an_empty_or_missing_file_opened_for_reading_is_refused_and_not_written(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(StoreError, match="is empty, not a result store"):
        ResultStore(empty, readonly=True)
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(StoreError, match="does not exist"):
        ResultStore(missing, readonly=True)
    assert snapshot(tmp_path) == {"empty.sqlite": b""}


def test_a_refused_store_is_not_written_when_opened_for_writing(tmp_path):
    foreign = tmp_path / "foreign.sqlite"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('schema', 'someone-else-3')")
    db.commit()
    db.close()
    before = snapshot(tmp_path)
    with pytest.raises(StoreError, match="someone-else-3"):
        ResultStore(foreign)
    assert snapshot(tmp_path) == before
    assert foreign.read_bytes()[18:20] == b"\x01\x01"  # still a rollback-journal file, not WAL


def test_report_and_tune_leave_a_damaged_store_and_its_folder_as_they_were(
    fake_store, damage, tmp_path, capsys
):
    """No -wal or -shm file is left beside a store that was only read, and refused."""
    from saeinit.cli import main

    path = fake_store(runs=4)
    damage(path, "runs", "overflow")
    before = snapshot(tmp_path)
    assert main(["report", "--store", str(path), "--out", str(tmp_path / "rep")]) == 2
    assert "damaged" in capsys.readouterr().err
    assert snapshot(tmp_path) == before
    assert main(["tune", "--study", str(path), "--trials", "0"]) == 2
    assert "not an Optuna study" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_reading_a_healthy_store_leaves_nothing_beside_it(fake_store, tmp_path):
    path = fake_store(runs=2)
    before = snapshot(tmp_path)
    with ResultStore(path, readonly=True) as store:
        assert len(store.runs()) == 2
    assert snapshot(tmp_path) == before
