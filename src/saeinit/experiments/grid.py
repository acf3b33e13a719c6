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

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from saeinit.config import ConfigError
from saeinit.training.settings import RunConfig, config_from_settings, run_key, setting_names


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
        raw = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError("grid", f"cannot read {path}: {err}") from err
    return grid_from_dict(raw)


def grid_from_dict(raw: dict) -> GridSpec:
    unknown = set(raw) - {"base", "axes", "title", "note"}
    if unknown:
        raise ConfigError(
            "grid", f"unknown top-level keys {sorted(unknown)}; use base, axes, title, note"
        )
    axes = raw.get("axes", [{}])
    axes = [axes] if isinstance(axes, dict) else axes
    known = setting_names()
    for block in [raw.get("base", {}), *axes]:
        for name in block:
            if name not in known:
                raise ConfigError("grid", f"unknown setting {name!r}; known: {sorted(known)}")
    for block in axes:
        for name, values in block.items():
            if not isinstance(values, list) or not values:
                raise ConfigError("grid", f"axis {name!r} must be a non-empty list")
    spec = GridSpec(
        raw.get("base", {}), axes, raw.get("title", GridSpec.title), raw.get("note", "")
    )
    spec.points()  # validates every setting now, not half-way through a sweep
    return spec
