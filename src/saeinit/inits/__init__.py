"""Dictionary inits: one registry, one small module per family."""

# Importing a module registers its inits; `saeinit inits` lists them in this order.
# isort: off
from saeinit.inits import baselines  # noqa: F401
from saeinit.inits import data_samples  # noqa: F401
from saeinit.inits import svd  # noqa: F401
from saeinit.inits import average  # noqa: F401
from saeinit.inits import centroid  # noqa: F401
from saeinit.inits import mixture  # noqa: F401
from saeinit.inits import outliers  # noqa: F401
from saeinit.inits import isolation  # noqa: F401
from saeinit.inits import dictlearn  # noqa: F401
from saeinit.inits import oracle  # noqa: F401

# isort: on
from saeinit.inits.registry import (
    InitConfig,
    InitRequest,
    InitResult,
    InitWeights,
    available,
    choices,
    draw_sample,
    get,
    initialize,
    names,
    register,
)

__all__ = [
    "InitConfig",
    "InitRequest",
    "InitResult",
    "InitWeights",
    "available",
    "choices",
    "draw_sample",
    "get",
    "initialize",
    "names",
    "register",
]
