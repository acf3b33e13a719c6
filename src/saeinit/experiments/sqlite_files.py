"""SQLite helpers of the result store and the tuning study: a read-only connection that leaves
nothing beside the file and also reads one in a folder this user cannot write, a lock error
told apart, and errors as one line."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def one_line(error: BaseException, limit: int = 200) -> str:
    """An error as one line of at most `limit` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open `path` for reading only (SQLite's mode=ro: it cannot write to the file).

    With no -wal file beside it, no process has the file open for writing, and it is read
    as immutable: a read-only connection to a WAL file would otherwise create -wal and -shm
    files that it cannot remove when it closes (it may not checkpoint), leaving them beside a
    store it only read, or refused."""
    uri = path.resolve().as_uri()
    if not path.with_name(path.name + "-wal").exists():
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
    return sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=60)


def is_locked(error: BaseException) -> bool:
    """Whether `error` is SQLite's "database is locked" (another connection holds the lock)."""
    return isinstance(error, sqlite3.OperationalError) and (
        getattr(error, "sqlite_errorname", "").startswith("SQLITE_BUSY")
        or "database is locked" in str(error)
    )
