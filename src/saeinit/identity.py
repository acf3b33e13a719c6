"""What a result is: the one place that decides which settings change a computed result.

A run, a tuning study and an activation collection are each identified by their settings
minus those that only change how the work goes (threads, progress bars, where a copy is
saved) or how far it goes. Grid keys, run folder names, study names and the resume checks of
collections all come from here, and a stored result is compared field by field with the
settings it is about to stand for, so that a changed default cannot hide under an old key.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from saeinit.config import to_dict

NEVER = frozenset(
    {"threads", "progress", "save_under", "synthetic_cache", "synthetic_workers", "allow_collapse"}
)
"""Settings that change how work runs, where it is cached, what is shown or what exit code a
result gives, never a number it computes."""
NOT_IDENTITY: dict[str, frozenset[str]] = {
    "CollectConfig": frozenset({"batch_size", "max_tokens", "shard_tokens", "device"}),
    "TuneConfig": frozenset({"trials", "study", "study_name", "sampler_seed", "baselines"}),
}
"""Per config class, further settings that do not change what its stored work holds: a
collection's batching, budget and device (a resumed collection may change them), and a study's
file, name, trial count and baselines (kept beside the trials)."""
SECTION_NAMES = {"toy": "data"}
"""Sections of a run's settings named as stores written before the rename knew them, so that
their keys stay the same."""


def identity(config: Any, kind: str | None = None) -> dict[str, Any]:
    """The settings of a config dataclass, or of its saved dict (then `kind` names its class),
    nested sections included, that change its result."""
    values = config if isinstance(config, dict) else to_dict(config)
    dropped = NEVER | NOT_IDENTITY.get(kind or type(config).__name__, frozenset())
    return _without(values, dropped)


def _without(values: dict, dropped: frozenset[str]) -> dict:
    return {
        SECTION_NAMES.get(name, name): _without(value, dropped)
        if isinstance(value, dict)
        else value
        for name, value in values.items()
        if name not in dropped
    }


def changed(values: dict, defaults: dict) -> dict:
    """The entries of `values` (nested) that differ from `defaults`."""
    out = {}
    for name, value in values.items():
        default = defaults.get(name)
        if isinstance(value, dict) and isinstance(default, dict):
            inner = changed(value, default)
            if inner:
                out[name] = inner
        elif value != default:
            out[name] = value
    return out


def digest(values: Any, length: int) -> str:
    """A stable hexadecimal digest of JSON-ready values."""
    text = json.dumps(values, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def differing(stored: dict, current: dict, prefix: str = "") -> list[str]:
    """Dotted names of the settings present in both that differ (a setting added or removed
    since the stored result was made is not a difference)."""
    names = []
    for name in sorted(set(stored) & set(current)):
        a, b = stored[name], current[name]
        if isinstance(a, dict) and isinstance(b, dict):
            names += differing(a, b, f"{prefix}{name}.")
        elif a != b:
            names.append(f"{prefix}{name}")
    return names
