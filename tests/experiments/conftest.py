import sqlite3

import pytest

from saeinit.experiments import ResultStore


def _fake_result(seed: int, rows: int = 40, pad: int = 3000) -> dict:
    """A result as `run` returns it, without training: the store only reads these fields.
    `pad` characters of text make each run's JSON span most of a 4 KiB page."""
    return {
        "config": {
            "toy": {"dim": 8, "features": 16},
            "init": {"init": "orthogonal", "rare_ratio": 0.05},
            "train": {"seed": seed},
        },
        "thresholds": {
            "0.95": {"step": 30, "samples": 960, "seconds": 0.5},
            "0.98": None,
            "0.99": None,
        },
        "dict_size": 16,
        "mmcs_initial": 0.5,
        "mmcs_final": 0.97,
        "init_seconds": 0.01,
        "train_seconds": 1.0,
        "steps": 10 * (rows - 1),
        "samples": 320 * (rows - 1),
        "stopped": "budget",
        "note": "x" * pad,
        "history": [
            {"step": 10 * i, "samples": 320 * i, "seconds": 0.1 * i, "mmcs": 0.5 + i / 100}
            | {"mcc": 0.4, "loss": 1.0 / (i + 1), "mse": 0.5, "fvu": 0.2, "l0": 3.0, "dead": 0}
            for i in range(rows)
        ],
    }


@pytest.fixture(scope="session")
def fake_result():
    """fake_result(seed, rows=40, pad=3000): a stored-run-shaped result, no training."""
    return _fake_result


@pytest.fixture
def fake_store(tmp_path):
    """fake_store(runs=4, name="r.sqlite"): a closed store of `runs` fake runs (keys k0, k1...)
    with a title, as `sweep` leaves it; returns its path."""

    def make(runs: int = 4, name: str = "r.sqlite"):
        path = tmp_path / name
        with ResultStore(path) as store:
            store.set_meta("title", "fake")
            for seed in range(runs):
                store.add(f"k{seed}", {"seed": seed}, _fake_result(seed))
        return path

    return make


@pytest.fixture(scope="session")
def damage():
    """damage(path, table, kind="leaf"): overwrite 48 bytes with 0xA5 in the middle of the
    first page of `table` (a table or index name) of that kind (leaf, internal, or overflow:
    the rest of a long row); in the middle of its cells on a b-tree page. Returns the page."""

    def overwrite(path, table: str, kind: str = "leaf") -> int:
        db = sqlite3.connect(path)  # which, being the last to close, removes -wal and -shm
        try:
            (page_size,) = db.execute("PRAGMA page_size").fetchone()
            try:
                pages = db.execute(
                    "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno",
                    (table, kind),
                ).fetchall()
            except sqlite3.OperationalError:
                pytest.skip("this SQLite has no dbstat table to find pages with")
        finally:
            db.close()
        page = pages[0][0]
        start = (page - 1) * page_size
        middle = start + page_size // 2
        if kind != "overflow":
            header = start + (100 if page == 1 else 0)
            with open(path, "rb") as file:
                file.seek(header + 5)  # the page header's start of the cell content area
                content = int.from_bytes(file.read(2), "big") or 65536
            middle = start + (content + page_size) // 2
        with open(path, "r+b") as file:
            file.seek(middle - 24)
            file.write(b"\xa5" * 48)
        return page

    return overwrite
