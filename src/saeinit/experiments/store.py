"""The result store: one SQLite file, one row per finished run and its MMCS history.

Each run is written in one transaction, so a sweep killed at any moment leaves only whole
runs; re-running the grid skips the keys already stored, and a run that another sweep stored
meanwhile is not stored twice. The schema lives here alone: a store written before a column was
added gets it (empty for its old runs) when it is opened for writing. Opening checks the whole
file first, and refuses a damaged or foreign one without writing a byte to it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from itertools import count, product
from pathlib import Path

from saeinit.experiments.sqlite_files import connect_readonly, is_locked, one_line
from saeinit.inits import get as get_init
from saeinit.training.config import THRESHOLDS
from saeinit.training.settings import data_label, stored_config

SCHEMA = "saeinit-results-1"
HISTORY_COLUMNS = tuple(
    "step samples seconds mmcs live_mmcs mcc loss mse fvu l0 dead f1 precision recall "
    "uniqueness explained_variance shrinkage".split()
)
RUN_COLUMNS = (
    "scenario", "init", "rare_ratio", "seed", "dict_size", "mmcs_initial", "mmcs_final",
    "init_seconds", "train_seconds", "steps", "samples", "stopped", "live_mmcs_initial",
    "live_mmcs_final", "collapsed",
)  # fmt: skip


CROSSING_PARTS = ("step", "samples", "seconds")
LOCKED_RETRY_SECONDS = 60.0
"""How long opening a store retries while SQLite answers "database is locked" without waiting
(two sweeps opening one new store at once can each hold the lock the other needs)."""


def threshold_column(threshold: float, part: str, live: bool = False) -> str:
    """Column of one part of a threshold crossing: t99_step for MMCS 0.99, live_t99_step live."""
    return f"{'live_' if live else ''}t{round(threshold * 100)}_{part}"


def _threshold_columns() -> list[str]:
    crossings = product((False, True), THRESHOLDS, CROSSING_PARTS)
    return [threshold_column(t, part, live) for live, t, part in crossings]


_INTEGRITY_CHECK = "PRAGMA integrity_check(10)"
"""At most ten problems: the first is enough to refuse the file, and the check stays short."""


class StoreError(RuntimeError):
    """The file is not a saeinit result store, or is damaged."""


class ResultStore:
    """A SQLite file of finished runs; open with `ResultStore(path)` to run sweeps into it, or
    `ResultStore(path, readonly=True)` to read it (reports): nothing is then written, not even
    to a missing column, and a missing or empty file is refused rather than made a store.

    Opening checks the whole file (SQLite's integrity check, then every stored row read back)
    before anything is written to it, and refuses a foreign, damaged or unreadable file with
    one line (`StoreError`), leaving it as it was."""

    def __init__(self, path: Path | str, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self.db: sqlite3.Connection | None = None
        deadline = time.monotonic() + LOCKED_RETRY_SECONDS
        for attempt in count(1):
            try:
                self._open()
                return
            except BaseException as err:
                if self.db is not None:
                    self.db.close()
                    self.db = None
                if is_locked(err) and time.monotonic() < deadline:  # opening is idempotent
                    time.sleep(min(0.05 * attempt, 1.0))
                    continue
                if isinstance(err, sqlite3.DatabaseError):
                    raise StoreError(
                        f"{self.path} is not a readable saeinit result store: {one_line(err)}"
                    ) from err
                raise

    def _open(self) -> None:
        if self.readonly:
            if not self.path.exists():
                raise StoreError(f"{self.path} does not exist, so it holds no results")
            if self.path.is_file() and self.path.stat().st_size == 0:
                raise StoreError(f"{self.path} is empty, not a result store")
            self.db = connect_readonly(self.path)
            self._check()
        else:
            is_new = not self.path.exists() or self.path.stat().st_size == 0
            if not is_new and not all(os.access(p, os.W_OK) for p in (self.path, self.path.parent)):
                raise StoreError(f"{self.path} cannot be written here (a read-only file or folder)")
            self.db = sqlite3.connect(self.path, timeout=60)
            if is_new:
                self._create()
            self._check()  # reads only: nothing is written to a store that fails it
            self._migrate()
            self.db.execute("PRAGMA journal_mode=WAL")
        self._columns = {table: self._table_columns(table) for table in ("runs", "history")}

    def _create(self) -> None:
        columns = ", ".join([*RUN_COLUMNS, *_threshold_columns(), "settings", "result"])
        history = ", ".join([*HISTORY_COLUMNS, "PRIMARY KEY (key, step)"])
        with self.db:  # one transaction: no opener, nor a kill, sees meta without its schema
            self.db.execute("BEGIN IMMEDIATE")  # sqlite3 would commit each CREATE on its own
            # IF NOT EXISTS: two processes may open a new store at the same moment.
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
            self.db.execute(f"CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, {columns})")
            self.db.execute(f"CREATE TABLE IF NOT EXISTS history (key TEXT, {history})")

    def _check(self) -> None:
        """Refuse a damaged file, a foreign one and one of another schema; reads only."""
        problems = self._damage(lambda: [row[0] for row in self.db.execute(_INTEGRITY_CHECK)])
        if problems != ["ok"]:
            found = "; ".join(problems).replace("*** in database main ***", "").replace("\n", "; ")
            self._refuse_damaged(f"SQLite's integrity check: {one_line(found.strip('; '))}")
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        if "meta" not in tables:
            raise StoreError(f"{self.path} is an SQLite file but not a saeinit result store")
        row = self.db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if row is None or row[0] != SCHEMA:
            found = row[0] if row else "none"
            raise StoreError(f"{self.path} has store schema {found!r}, expected {SCHEMA!r}")
        for table in ("runs", "history"):
            if table not in tables:
                raise StoreError(f"{self.path} is a saeinit result store without a {table} table")
        self._damage(self._read_back)

    def _read_back(self) -> None:
        """Read every stored row, decoding each run's settings and result: damage inside a
        row's text (an overflow page, say) passes SQLite's check but not this."""
        for _key, settings, result in self.db.execute("SELECT key, settings, result FROM runs"):
            if not (
                isinstance(json.loads(settings), dict) and isinstance(json.loads(result), dict)
            ):
                raise ValueError("a stored run's settings or result is not a JSON object")
        for table in ("history", "meta"):
            for _row in self.db.execute(f"SELECT * FROM {table}"):
                pass

    def _damage(self, read):
        """Call read(); a damaged file's errors become a refusal naming the damage."""
        try:
            return read()
        except sqlite3.DatabaseError as err:
            corrupt = getattr(err, "sqlite_errorname", "").startswith("SQLITE_CORRUPT")
            if not corrupt and "could not decode" not in str(err).lower():
                raise  # not a readable store (not SQLite, busy...), not damage
            self._refuse_damaged(one_line(err))
        except (ValueError, TypeError) as err:  # text that is not UTF-8 or not JSON
            self._refuse_damaged(f"a stored run cannot be read back: {one_line(err)}")

    def _refuse_damaged(self, why: str) -> None:
        raise StoreError(
            f"{self.path} is damaged ({why}); it was left as it is: restore it from a copy, "
            "or sweep into a new store"
        )

    def _table_columns(self, table: str) -> list[str]:
        return [row[1] for row in self.db.execute(f"PRAGMA table_info({table})")]

    def _migrate(self) -> None:
        """Add the columns this version writes that an older store lacks (under the write
        lock, so that processes opening an older store at once add each column once)."""
        wanted = {
            "runs": [*RUN_COLUMNS, *_threshold_columns(), "settings", "result"],
            "history": list(HISTORY_COLUMNS),
        }

        def missing() -> dict[str, list[str]]:
            have = {table: set(self._table_columns(table)) for table in wanted}
            return {
                table: [c for c in cols if c not in have[table]] for table, cols in wanted.items()
            }

        if not any(missing().values()):
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for table, columns in missing().items():
                for column in columns:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

    def _writable(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.path} was opened read-only; open it to write to it")

    def set_meta(self, name: str, value: str) -> None:
        """Record a named piece of text about the store (e.g. the grid's title and note)."""
        self._writable()
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT name, value FROM meta"))

    def keys(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT key FROM runs")}

    def add(self, key: str, settings: dict, result: dict) -> bool:
        """Store one finished run and its history atomically; False (storing nothing) when
        another sweep on this store stored the run meanwhile (a key is its settings)."""
        self._writable()
        config = stored_config(result["config"])
        init = config["init"]["init"]
        values = {
            "scenario": data_label(config),
            "init": init,
            "rare_ratio": config["init"]["rare_ratio"] if get_init(init).uses_base else None,
            "seed": config["train"]["seed"],
            **{c: result.get(c) for c in RUN_COLUMNS[4:]},  # live_*: absent in older results
        }
        crossings = {False: result["thresholds"], True: result.get("live_thresholds") or {}}
        for live, threshold, part in product((False, True), THRESHOLDS, CROSSING_PARTS):
            crossing = crossings[live].get(f"{threshold:.2f}") or {}
            values[threshold_column(threshold, part, live)] = crossing.get(part)
        values["settings"] = json.dumps(settings, sort_keys=True)
        values["result"] = json.dumps(result)
        names = ", ".join(["key", *values])
        marks = ", ".join("?" * (len(values) + 1))
        rows = [(key, *(row.get(c) for c in HISTORY_COLUMNS)) for row in result["history"]]
        history = ", ".join(["key", *HISTORY_COLUMNS])
        with self.db:  # one transaction: the run and its history, or nothing
            added = self.db.execute(
                f"INSERT OR IGNORE INTO runs ({names}) VALUES ({marks})", (key, *values.values())
            )
            if added.rowcount == 0:
                return False
            # History of a run row deleted by hand would collide with the new rows.
            self.db.execute("DELETE FROM history WHERE key = ?", (key,))
            # By name: a column added to an older store comes last in its table.
            marks = ", ".join("?" * (len(HISTORY_COLUMNS) + 1))
            self.db.executemany(f"INSERT INTO history ({history}) VALUES ({marks})", rows)
        return True

    def runs(self) -> list[dict]:
        """Every stored run as a dict of its columns (settings and result decoded)."""
        cursor = self.db.execute("SELECT * FROM runs ORDER BY rowid")
        names = [d[0] for d in cursor.description]
        out = []
        absent = [c for c in (*RUN_COLUMNS, *_threshold_columns()) if c not in names]
        for row in cursor:
            run = dict(zip(names, row, strict=True)) | dict.fromkeys(absent)  # read-only, older
            run["settings"] = json.loads(run["settings"])
            run["result"] = json.loads(run["result"])
            run["result"]["config"] = stored_config(run["result"]["config"])
            out.append(run)
        return out

    def results(self, keys: set[str]) -> dict[str, dict]:
        """The stored result of each run among `keys`, its config as this version names it."""
        out = {}
        for key, text in self.db.execute("SELECT key, result FROM runs"):
            if key in keys:
                result = json.loads(text)
                out[key] = result | {"config": stored_config(result["config"])}
        return out

    def collapsed(self, keys: set[str]) -> dict[str, str]:
        """Why each run among `keys` that ended collapsed did so (a store written before
        collapse was recorded has none)."""
        if "collapsed" not in self._columns["runs"]:
            return {}
        rows = self.db.execute("SELECT key, collapsed FROM runs WHERE collapsed IS NOT NULL")
        return {key: reason for key, reason in rows if key in keys}

    def history(self, key: str) -> list[dict]:
        """The run's history rows by step (a column an older store lacks reads as None)."""
        have = [c for c in HISTORY_COLUMNS if c in self._columns["history"]]
        cursor = self.db.execute(
            f"SELECT {', '.join(have)} FROM history WHERE key = ? ORDER BY step", (key,)
        )
        empty = dict.fromkeys(HISTORY_COLUMNS)
        return [empty | dict(zip(have, row, strict=True)) for row in cursor]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
