"""A synthetic world: SAELens' `SyntheticModel`, built once per configuration and cached.

Building costs O(G^2 d) (the orthogonalisation), so a world is saved with SAELens' own
`save` under a key of its configuration and SAELens' version, written to a temporary folder
and renamed once complete, and loaded from there afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from saeinit.config import ConfigError
from saeinit.data.synthetic.config import SyntheticConfig
from saeinit.data.synthetic.presets import PRESETS, preset
from saeinit.identity import digest

if TYPE_CHECKING:
    from sae_lens.synthetic import SyntheticModel

log = logging.getLogger(__name__)
EXTRA = "pip install 'saeinit[synthetic]'"


class World(NamedTuple):
    model: SyntheticModel
    """SAELens' generator: feature_dict (features and bias) and activation_generator."""
    name: str
    """The preset's name, or the stem of the JSON file."""
    key: str
    """What identifies the world: a digest of its configuration and SAELens' version."""
    folder: Path
    """Where the world and its sample shards are cached."""


def sae_lens_synthetic():
    """SAELens' synthetic module, or a one-line error naming the extra to install."""
    try:
        import sae_lens.synthetic as synthetic
    except ImportError as err:
        raise ConfigError("synthetic", f"needs SAELens: {EXTRA} ({err})") from err
    return synthetic


def world_config(name: str) -> dict:
    """A preset's configuration, or the dict a JSON file holds."""
    if name in PRESETS:
        return preset(name)
    try:
        value = json.loads(Path(name).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError("synthetic", f"{name} is not readable JSON: {err}") from err
    if not isinstance(value, dict):
        raise ConfigError("synthetic", f"{name} holds {type(value).__name__}, not an object")
    return value


def parsed_config(name: str):
    """SAELens' SyntheticModelConfig of a world, or one line saying why SAELens refuses it."""
    synthetic = sae_lens_synthetic()
    try:
        return synthetic.SyntheticModelConfig.from_dict(world_config(name))
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        raise ConfigError("synthetic", f"SAELens refuses the world {name}: {err!r}") from err


def world_key(cfg) -> str:
    import sae_lens

    return digest({"config": cfg.to_dict(), "sae_lens": sae_lens.__version__}, 16)


def load_world(config: SyntheticConfig, device: str = "cpu") -> World:
    """The configured world, from the cache or built (then cached)."""
    name = str(config.synthetic)
    cfg = parsed_config(name)
    key = world_key(cfg)
    label = Path(name).stem if name.endswith(".json") else name
    folder = config.cache_folder() / "worlds" / f"{label}-{key}"
    synthetic = sae_lens_synthetic()
    if not (folder / synthetic.SYNTHETIC_MODEL_WEIGHTS_FILENAME).exists():
        build_world(cfg, folder, label)
    model = synthetic.SyntheticModel.load_from_disk(folder, device=str(device))
    if model.cfg.to_dict() != cfg.to_dict():
        raise ConfigError(
            "synthetic",
            f"the cached world {folder} holds another configuration; delete the folder",
        )
    return World(model, label, key, folder)


def build_world(cfg, folder: Path, label: str) -> None:
    """Build the world and save it in `folder` (by a rename once complete)."""
    synthetic = sae_lens_synthetic()
    log.warning("building synthetic world %s (once; cached in %s)", label, folder)
    try:
        model = synthetic.SyntheticModel(cfg)
    except (TypeError, ValueError, KeyError, AttributeError, RuntimeError) as err:
        raise ConfigError("synthetic", f"SAELens refuses the world {label}: {err!r}") from err
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(tmp)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process finished the same world first: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
