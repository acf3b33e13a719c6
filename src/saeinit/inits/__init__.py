"""Dictionary inits: one registry (`registry.py`), one small module per family."""

from saeinit.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "InitConfig": "saeinit.inits.config",
        "choices": "saeinit.inits.config",
        "InitRequest": "saeinit.inits.request",
        "InitResult": "saeinit.inits.request",
        "InitWeights": "saeinit.inits.request",
        "draw_sample": "saeinit.inits.request",
        "initialize": "saeinit.inits.request",
        "available": "saeinit.inits.registry",
        "get": "saeinit.inits.registry",
        "names": "saeinit.inits.registry",
    },
)
