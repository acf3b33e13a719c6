"""Shared machinery for the typed config dataclasses of every package.

Each concern (toy data, model, init, training) keeps its settings in one dataclass with a
docstring under each field. Those docstrings are the help text of the CLI options generated
from the same dataclass, so a default or a description lives in exactly one place.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import math
import re
import textwrap
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

DEVICES = ("cpu", "cuda", "auto")


class ConfigError(ValueError):
    """A setting has a value that is not allowed; `option` names the setting."""

    def __init__(self, option: str, message: str):
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message

    def __reduce__(self):  # so the error crosses process boundaries in parallel sweeps
        return type(self), (self.option, self.message)


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstring written under each field of a dataclass, keyed by field name."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        body = tree.body[0].body
        for stmt, following in zip(body, body[1:], strict=False):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[stmt.target.id] = " ".join(following.value.value.split())
    return docs


def to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a (nested) config dataclass."""
    return dataclasses.asdict(config)


def split_list(text: str | None) -> list[str]:
    """The items of a list option given as one string, separated by commas or spaces."""
    return [part for part in re.split(r"[\s,]+", text or "") if part]


def require_integer(option: str, value: object, minimum: int = 1) -> None:
    """An integer setting (a bool is not one, though Python counts it as an int)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(option, f"must be an integer >= {minimum}, got {value!r}")


def require_positive(option: str, value: float | int | None, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ConfigError(option, f"must be a positive number, got {value!r}")


def require_non_negative(option: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ConfigError(option, f"must be a finite number >= 0, got {value!r}")


def require_in_unit_interval(option: str, value: float, *, open_left: bool = False) -> None:
    low_ok = value > 0 if open_left else value >= 0
    if not (math.isfinite(value) and low_ok and value <= 1):
        interval = "(0, 1]" if open_left else "[0, 1]"
        raise ConfigError(option, f"must be in {interval}, got {value!r}")


def require_device(option: str, value: str) -> None:
    """A device setting: cpu, cuda (refused without a CUDA GPU) or auto."""
    require_choice(option, value, DEVICES)
    if value == "cuda" and not cuda_available():
        raise ConfigError(option, "cuda was asked for but torch sees no CUDA GPU; use cpu")


def cuda_available() -> bool:
    import torch  # loaded on use: the settings load without torch, for a fast command line

    return torch.cuda.is_available()


def resolve_device(value: str) -> torch.device:
    """The torch device of a device setting (auto: cuda if available)."""
    import torch

    if value == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(value)


def require_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(option, f"must be one of {', '.join(choices)}; got {value!r}")
