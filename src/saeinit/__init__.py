"""saeinit: train sparse autoencoders from an informed initial dictionary.

The public API, importable from the top (each name loads its module on first use, so that
`import saeinit` and the command line stay light):

    from saeinit import RunConfig, ToyConfig, TrainConfig, run
    out = run(RunConfig(toy=ToyConfig(dim=128, features=256), train=TrainConfig(max_steps=2000)))

- `RunConfig`, `config_from_settings`, `run`: one run from its settings to its result;
- `ToyConfig`, `SAEConfig`, `InitConfig`, `TrainConfig`, `ActivationsConfig`: its sections;
- `initialize`, `InitRequest`, `fitted_encoder`: the inits on their own;
- `build_sae`, `save_sae`, `load_sae`: SAEs in SAELens' layout.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "RunConfig": "saeinit.training.settings",
    "config_from_settings": "saeinit.training.settings",
    "run": "saeinit.training.run",
    "RunOutput": "saeinit.training.run",
    "ToyConfig": "saeinit.data.toy",
    "SAEConfig": "saeinit.models.config",
    "InitConfig": "saeinit.inits.config",
    "TrainConfig": "saeinit.training.config",
    "ActivationsConfig": "saeinit.data.activations.config",
    "initialize": "saeinit.inits",
    "InitRequest": "saeinit.inits.request",
    "fitted_encoder": "saeinit.inits.encoder",
    "build_sae": "saeinit.models",
    "save_sae": "saeinit.models.io",
    "load_sae": "saeinit.models.io",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'saeinit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
