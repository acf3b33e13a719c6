"""The settings of training on a synthetic world (`--synthetic`). No torch here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from saeinit.config import ConfigError, require_integer, require_positive
from saeinit.data.synthetic.presets import PRESETS

CACHE_VARIABLE = "SAEINIT_CACHE"
"""The environment variable naming the cache folder when --synthetic-cache is unset."""


@dataclass
class SyntheticConfig:
    """Training on a world of SAELens' synthetic data generator (its ground truth known)."""

    synthetic: str | None = None
    """Train on this synthetic world: a preset (synthsaebench-16k, SynthSAEBench-16k exactly
    as published; synthsaebench-4k, the same recipe with a quarter of the features, dimensions
    and hierarchy roots, for a CPU) or a JSON file in SAELens' SyntheticModelConfig layout.
    Needs `pip install 'saeinit[synthetic]'`. The world is built once and cached; its MCC, F1,
    precision, recall, uniqueness, explained variance and shrinkage are measured by SAELens."""
    synthetic_samples: int = 2_097_152
    """Training samples generated once into checksummed shards (in parallel, resumable) and
    trained over in shuffled epochs; the init draws from them too. 0: draw fresh batches from
    the generator at every step (the way to go on a GPU; slow on a CPU)."""
    synthetic_cache: str | None = None
    """Folder holding built worlds and their sample shards (unset: $SAEINIT_CACHE, else
    ~/.cache/saeinit)."""
    synthetic_workers: int | None = None
    """Processes generating sample shards, one thread each (unset: one per core)."""

    def __post_init__(self) -> None:
        if self.synthetic is not None:
            check_world_name(self.synthetic)
        require_integer("synthetic-samples", self.synthetic_samples, minimum=0)
        require_positive("synthetic-workers", self.synthetic_workers, allow_none=True)

    def cache_folder(self) -> Path:
        default = os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "saeinit"
        return Path(self.synthetic_cache or default).expanduser()


def check_world_name(name: str) -> None:
    """A preset or an existing .json file; otherwise one line that lists the presets."""
    if name in PRESETS:
        return
    if name.endswith(".json"):
        if not Path(name).is_file():
            raise ConfigError("synthetic", f"{name} is not a file")
        return
    raise ConfigError(
        "synthetic",
        f"unknown world {name!r}: give a preset ({', '.join(PRESETS)}) or a .json file in "
        "SAELens' SyntheticModelConfig layout",
    )
