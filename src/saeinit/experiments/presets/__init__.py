"""Grids shipped with saeinit: the seed post's experiments, quick and full."""

from __future__ import annotations

from importlib.resources import files

from saeinit.experiments.grid import GridSpec, grid_from_dict


def preset_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".toml") for p in files(__name__).iterdir() if p.name.endswith(".toml")
    )


def load_preset(name: str) -> GridSpec:
    import tomllib

    return grid_from_dict(tomllib.loads(files(__name__).joinpath(f"{name}.toml").read_text()))
