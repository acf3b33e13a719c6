"""Click options generated from the config dataclasses: one source of truth for defaults and help."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import click

from saeinit.config import field_docs

_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def _click_type(annotation: str, choices: Iterable[str] | None) -> Any:
    if choices is not None:
        return click.Choice(list(choices))
    return _TYPES[annotation.replace(" | None", "")]


def config_options(
    cls: type, exclude: Iterable[str] = (), choices: dict[str, Iterable[str]] | None = None
) -> Callable:
    """Decorate a command with one option per field of `cls` (help: the field's docstring)."""
    docs, choices = field_docs(cls), choices or {}
    decorators = []
    for f in dataclasses.fields(cls):
        if f.name in exclude:
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        flag = f.name.replace("_", "-")
        if f.type == "bool":
            decls = [f"--{flag}/--no-{flag}", f.name]
        else:
            decls = [f"--{flag}", f.name]
        decorators.append(
            click.option(
                *decls,
                type=_click_type(str(f.type), choices.get(f.name)),
                default=default,
                show_default=default is not None,
                help=docs.get(f.name, ""),
            )
        )

    def apply(command: Callable) -> Callable:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply
