"""Lazy package exports (PEP 562): a package lists its public names and the modules defining
them, and each module loads on first use, so that importing a light module of the package
(a config) does not import torch, scikit-learn or matplotlib with its siblings."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable, list[str]]:
    """`__getattr__`, `__dir__` and `__all__` for `package`, whose name `name` is loaded from
    the module `exports[name]` when first asked for. A name may not be that of its own module
    (`sweep` from `package.sweep`): importing the module would bind the module to the name."""
    shadowed = [name for name, module in exports.items() if module == f"{package}.{name}"]
    if shadowed:
        raise ValueError(f"{package} cannot export {shadowed} lazily: each is its module's name")

    def getattr_(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    def dir_() -> list[str]:
        return sorted(exports)

    return getattr_, dir_, sorted(exports)


def load(path: str):
    """The object named by "package.module:attribute"."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
