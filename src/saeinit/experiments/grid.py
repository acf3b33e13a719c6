"""Grid specs: base settings plus axes to sweep, expanded into runs with stable keys.

A grid is a TOML file (or the same as a `GridSpec`):

    title = "Seed post, experiment 2"
    note = "What a step is, and anything a reader of the report must know."

    [base]                      # flat settings, as the CLI options (underscores)
    max_steps = 20000

    [[axes]]                    # one block = one cartesian product; blocks are unioned
    scenario = ["128x256", "128x512"]
    init = ["orthogonal", "data"]
    seed = [0, 1, 2]

    [[axes]]
    scenario = ["128x256"]
    init = ["average", "centroid", "outliers"]
    rare_ratio = [0.01, 0.05]
    seed = [0, 1, 2]
"""

from __future__ import annotations

import functools
import itertools
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple

from saeinit.config import ConfigError
from saeinit.training.settings import (
    SECTIONS,
    RunConfig,
    config_from_settings,
    run_key,
    setting_names,
)


class GridPoint(NamedTuple):
    key: str
    settings: dict
    """The flat settings of this point (base merged with one value of each axis)."""
    config: RunConfig


@dataclass
class GridSpec:
    base: dict = field(default_factory=dict)
    """Settings shared by every run."""
    axes: list[dict[str, list]] = field(default_factory=lambda: [{}])
    """Blocks of axes; each block is a cartesian product, and the grid is their union."""
    title: str = "saeinit sweep"
    """A heading for the report."""
    note: str = ""
    """Free text carried into the report (what a step is, budgets, caveats)."""

    def points(self) -> list[GridPoint]:
        """Every run of the grid, once each, in a stable order."""
        seen: dict[str, GridPoint] = {}
        for block in self.axes:
            names = list(block)
            for values in itertools.product(*(block[name] for name in names)):
                settings = self.base | dict(zip(names, values, strict=True))
                config = config_from_settings(settings)
                key = run_key(config)
                seen.setdefault(key, GridPoint(key, settings, config))
        return list(seen.values())


def load_grid(path: Path) -> GridSpec:
    """Read and validate a grid TOML file."""
    try:
        raw = tomllib.loads(Path(path).read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        why = f"not UTF-8 text ({err.reason} at byte {err.start}), as a TOML file must be"
        raise ConfigError("grid", f"cannot read {path}: {why}") from err
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError("grid", f"cannot read {path}: {err}") from err
    return grid_from_dict(raw)


def grid_from_dict(raw: dict) -> GridSpec:
    """A validated GridSpec from a grid's TOML tables: every setting known and of its type,
    every data path present, and every point's config built (so bad values stop the grid
    before any run)."""
    unknown = set(raw) - {"base", "axes", "title", "note"}
    if unknown:
        raise ConfigError(
            "grid", f"unknown top-level keys {sorted(unknown)}; use base, axes, title, note"
        )
    base = raw.get("base", {})
    if not isinstance(base, dict):
        raise ConfigError("grid", f"base must be a table of settings ([base]), got {base!r}")
    axes = raw.get("axes", [{}])
    axes = [axes] if isinstance(axes, dict) else axes
    if not isinstance(axes, list) or not axes or not all(isinstance(b, dict) for b in axes):
        raise ConfigError(
            "grid", f"axes must be one or more tables ([[axes]]) of lists, got {raw['axes']!r}"
        )
    for name in ("title", "note"):
        if not isinstance(raw.get(name, ""), str):
            raise ConfigError("grid", f"{name} must be a string, got {raw[name]!r}")
    known = setting_names()
    for block in [base, *axes]:
        for name in block:
            if name not in known:
                raise ConfigError("grid", f"unknown setting {name!r}; known: {sorted(known)}")
    if not base and not any(axes):
        raise ConfigError(
            "grid",
            "sets nothing (no [base] settings, no [[axes]]): it would be one run with every "
            "default; name the settings to run",
        )
    for block in axes:
        for name, values in block.items():
            if not isinstance(values, list) or not values:
                raise ConfigError("grid", f"axis {name!r} must be a non-empty list")
            for value in values:
                if isinstance(value, list | dict):
                    raise ConfigError(
                        "grid", f"axis {name!r} holds {value!r}; an axis is a flat list of values"
                    )
                check_type(name, value, where=f"axis {name!r}")
    for name, value in base.items():
        check_type(name, value, where=f"base setting {name!r}")
    check_paths(base, axes)
    spec = GridSpec(base, axes, raw.get("title", GridSpec.title), raw.get("note", ""))
    spec.points()  # validates every setting now, not half-way through a sweep
    return spec


TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def check_type(name: str, value, where: str) -> None:
    """Refuse a grid value whose TOML type does not fit the setting (true for an integer:
    Python would take a bool as the int 1)."""
    allowed = setting_types().get(name)
    if not allowed or any(_fits(value, kind) for kind in allowed):
        return
    wanted = " or ".join(sorted({TYPE_NAMES[kind] for kind in allowed}))
    hint = "; put a list of values under [[axes]]" if isinstance(value, list | dict) else ""
    shown = str(value).lower() if isinstance(value, bool) else repr(value)  # as TOML writes it
    raise ConfigError("grid", f"{where} must be {wanted}, got {shown}{hint}")


def _fits(value, kind: type) -> bool:
    if kind is bool or isinstance(value, bool):
        return kind is bool and isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


@functools.cache
def setting_types() -> dict[str, set[type]]:
    """The value types each flat setting accepts (bool, int, float, str), from the fields of
    the config dataclasses that hold it; settings of other types are not listed."""
    accepted: dict[str, set[type]] = {"scenario": {str}, "data_seed": {int}}
    for cls in [*SECTIONS.values(), RunConfig]:
        hints = typing.get_type_hints(cls)
        for item in fields(cls):
            if item.name in SECTIONS:
                continue
            hint = hints[item.name]
            union = typing.get_origin(hint) in (typing.Union, types.UnionType)
            kinds = set(typing.get_args(hint)) if union else {hint}
            kinds = {kind for kind in kinds if kind in TYPE_NAMES}
            if kinds:
                accepted.setdefault(item.name, set()).update(kinds)
    return accepted


DATA_PATHS = {"activations": "folder", "data_file": "file", "start_from": "folder"}
"""Settings naming data a run reads, and what each must be."""


def check_paths(base: dict, axes: list[dict]) -> None:
    """Refuse a grid naming data that is not there, before any run fails on it."""
    for name, kind in DATA_PATHS.items():
        values = {base.get(name)} | {value for block in axes for value in block.get(name, [])}
        for value in sorted(v for v in values if v is not None):
            path = Path(value)
            if not (path.is_dir() if kind == "folder" else path.is_file()):
                found = "is not a " + kind if path.exists() else "does not exist"
                raise ConfigError(
                    "grid", f"{name} {value!r} {found} (relative paths start at {Path.cwd()})"
                )
