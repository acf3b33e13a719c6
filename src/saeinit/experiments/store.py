"""The result store: one SQLite file, one row per finished run and its MMCS history.

Each run is written in one transaction, so a sweep killed at any moment leaves only whole
runs; re-running the grid skips the keys already stored. The schema lives here alone: a store
written before a column was added gets it (empty for its old runs) when it is opened.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from saeinit.inits import get as get_init
from saeinit.training.config import THRESHOLDS
from saeinit.training.settings import data_label, stored_config

SCHEMA = "saeinit-results-1"
HISTORY_COLUMNS = ("step", "samples", "seconds", "mmcs", "mcc", "loss", "mse", "fvu", "l0", "dead")
RUN_COLUMNS = (
    "scenario", "init", "rare_ratio", "seed", "dict_size", "mmcs_initial", "mmcs_final",
    "init_seconds", "train_seconds", "steps", "samples", "stopped",
)  # fmt: skip


CROSSING_PARTS = ("step", "samples", "seconds")


def threshold_column(threshold: float, part: str) -> str:
    """Column of one part of a threshold crossing, e.g. t99_step for MMCS 0.99."""
    return f"t{round(threshold * 100)}_{part}"


def _threshold_columns() -> list[str]:
    return [threshold_column(t, part) for t in THRESHOLDS for part in CROSSING_PARTS]


class StoreError(RuntimeError):
    """The file is not a saeinit result store, or is damaged."""


class ResultStore:
    """A SQLite file of finished runs; open with `ResultStore(path)`."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        is_new = not self.path.exists() or self.path.stat().st_size == 0
        try:
            self.db = sqlite3.connect(self.path, timeout=60)
            if is_new:
                self._create()
            self._check()
            self._migrate()
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path} is not a readable saeinit result store: {err}") from err

    def _create(self) -> None:
        columns = ", ".join([*RUN_COLUMNS, *_threshold_columns(), "settings", "result"])
        history = ", ".join(HISTORY_COLUMNS)
        with self.db:
            # IF NOT EXISTS: two processes may open a new store at the same moment.
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
            self.db.execute(f"CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, {columns})")
            self.db.execute(
                f"CREATE TABLE IF NOT EXISTS history (key TEXT, {history}, PRIMARY KEY (key, step))"
            )

    def _check(self) -> None:
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        if "meta" not in tables:
            raise StoreError(f"{self.path} is an SQLite file but not a saeinit result store")
        row = self.db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if row is None or row[0] != SCHEMA:
            found = row[0] if row else "none"
            raise StoreError(f"{self.path} has store schema {found!r}, expected {SCHEMA!r}")

    def _migrate(self) -> None:
        """Add the columns this version writes that an older store lacks."""
        wanted = {
            "runs": [*RUN_COLUMNS, *_threshold_columns(), "settings", "result"],
            "history": list(HISTORY_COLUMNS),
        }
        for table, columns in wanted.items():
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if not have:
                raise StoreError(f"{self.path} is a saeinit result store without a {table} table")
            missing = [column for column in columns if column not in have]
            with self.db:
                for column in missing:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")

    def set_meta(self, name: str, value: str) -> None:
        """Record a named piece of text about the store (e.g. the grid's title and note)."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT name, value FROM meta"))

    def keys(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT key FROM runs")}

    def add(self, key: str, settings: dict, result: dict) -> None:
        """Store one finished run and its history atomically."""
        config = stored_config(result["config"])
        init = config["init"]["init"]
        values = {
            "scenario": data_label(config),
            "init": init,
            "rare_ratio": config["init"]["rare_ratio"] if get_init(init).uses_base else None,
            "seed": config["train"]["seed"],
            **{c: result[c] for c in RUN_COLUMNS[4:]},
        }
        for threshold in THRESHOLDS:
            crossing = result["thresholds"][f"{threshold:.2f}"] or {}
            for part in CROSSING_PARTS:
                values[threshold_column(threshold, part)] = crossing.get(part)
        values["settings"] = json.dumps(settings, sort_keys=True)
        values["result"] = json.dumps(result)
        names = ", ".join(["key", *values])
        marks = ", ".join("?" * (len(values) + 1))
        rows = [(key, *(row.get(c) for c in HISTORY_COLUMNS)) for row in result["history"]]
        with self.db:  # one transaction: the run and its history, or nothing
            self.db.execute(f"INSERT INTO runs ({names}) VALUES ({marks})", (key, *values.values()))
            self.db.executemany(
                f"INSERT INTO history VALUES ({', '.join('?' * (len(HISTORY_COLUMNS) + 1))})", rows
            )

    def runs(self) -> list[dict]:
        """Every stored run as a dict of its columns (settings and result decoded)."""
        cursor = self.db.execute("SELECT * FROM runs ORDER BY rowid")
        names = [d[0] for d in cursor.description]
        out = []
        for row in cursor:
            run = dict(zip(names, row, strict=True))
            run["settings"] = json.loads(run["settings"])
            run["result"] = json.loads(run["result"])
            run["result"]["config"] = stored_config(run["result"]["config"])
            out.append(run)
        return out

    def configs(self, keys: set[str]) -> dict[str, dict]:
        """The saved config of each stored run among `keys`, as this version names it."""
        out = {}
        for key, result in self.db.execute("SELECT key, result FROM runs"):
            if key in keys:
                out[key] = stored_config(json.loads(result)["config"])
        return out

    def history(self, key: str) -> list[dict]:
        cursor = self.db.execute(
            f"SELECT {', '.join(HISTORY_COLUMNS)} FROM history WHERE key = ? ORDER BY step", (key,)
        )
        return [dict(zip(HISTORY_COLUMNS, row, strict=True)) for row in cursor]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
