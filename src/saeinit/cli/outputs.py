"""Output locations, checked before any work starts so that a bad path never costs a run.

Every command that writes checks its output options first: a location that cannot be written
is refused with one line naming the option (`ConfigError`, exit code 2). Missing folders are
not created by the check; the writers create them when they write, so a refused command leaves
nothing behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from saeinit.config import ConfigError


def writable_file(path: str | Path, option: str) -> Path:
    """`path` as a file the command may write (created or replaced), or a ConfigError."""
    path = Path(path)
    _reachable(_check_file, path, option)
    return path


def writable_folder(path: str | Path, option: str) -> Path:
    """`path` as a folder the command may write into (created if missing), or a ConfigError."""
    path = Path(path)
    _reachable(_check_folder, path, option)
    return path


def _reachable(check, path: Path, option: str) -> None:
    try:
        check(path, option)
    except OSError as err:  # e.g. a folder on the way that may not be searched
        raise ConfigError(option, f"cannot reach {path}: {err.strerror or err}") from err


def _check_file(path: Path, option: str) -> None:
    if path.is_dir():
        raise ConfigError(option, f"{path} is a folder, not a file")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ConfigError(option, f"{path} is not writable")
        return
    _creatable(path, option)


def _check_folder(path: Path, option: str) -> None:
    if path.exists():
        if not path.is_dir():
            raise ConfigError(option, f"{path} exists and is not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ConfigError(option, f"{path} is not writable")
        return
    _creatable(path, option)


def _creatable(path: Path, option: str) -> None:
    """Refuse a missing `path` whose nearest existing ancestor is not a writable folder."""
    ancestor = path.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(option, f"cannot create {path}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(option, f"cannot create {path}: {ancestor} is not writable")


def write_text(path: Path, text: str) -> None:
    """Write a file checked by `writable_file`, creating its missing folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def with_suffix(path: str | Path, suffix: str) -> Path:
    """`path` ending in `suffix` (added when missing, as numpy does for .npz)."""
    path = Path(path)
    return path if path.name.endswith(suffix) else path.with_name(path.name + suffix)
