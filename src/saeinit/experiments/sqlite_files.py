"""SQLite helpers of the result store: a read-only connection that also reads a store in a
folder this user cannot write, a lock error told apart, and errors as one line."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def one_line(error: BaseException, limit: int = 200) -> str:
    """An error as one line of at most `limit` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open `path` for reading only (SQLite's mode=ro: it cannot write to the file)."""
    uri = path.resolve().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=60)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError as err:
        db.close()
        code = getattr(err, "sqlite_errorname", "")
        if not code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
            raise
        if path.with_name(path.name + "-wal").exists():
            raise
    # A WAL store in a folder this user cannot write: a reader cannot create the -shm file it
    # needs there. With no -wal file, no process has the store open for writing, and the file
    # alone is the whole store: read it as immutable.
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)


def is_locked(error: BaseException) -> bool:
    """Whether `error` is SQLite's "database is locked" (another connection holds the lock)."""
    return isinstance(error, sqlite3.OperationalError) and (
        getattr(error, "sqlite_errorname", "").startswith("SQLITE_BUSY")
        or "database is locked" in str(error)
    )
