"""Dictionary inits: one registry, one small module per family."""

from saeinit.inits import baselines  # noqa: F401  (registers its inits)
from saeinit.inits.registry import (
    InitConfig,
    InitRequest,
    InitResult,
    InitWeights,
    available,
    draw_sample,
    get,
    initialize,
    names,
    normalize_rows,
    register,
)

__all__ = [
    "InitConfig",
    "InitRequest",
    "InitResult",
    "InitWeights",
    "available",
    "draw_sample",
    "get",
    "initialize",
    "names",
    "normalize_rows",
    "register",
]
