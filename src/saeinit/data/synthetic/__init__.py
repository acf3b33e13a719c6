"""Synthetic worlds of SAELens' SynthSAEBench generator as training data (`--synthetic`)."""

from saeinit.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "PRESETS": "saeinit.data.synthetic.presets",
        "SyntheticConfig": "saeinit.data.synthetic.config",
        "load_world": "saeinit.data.synthetic.world",
        "sample_pool": "saeinit.data.synthetic.pool",
        "synthetic_source": "saeinit.data.synthetic.source",
    },
)
