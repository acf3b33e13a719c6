"""Recovery metrics against ground truth, and activation metrics of an SAE."""

from saeinit.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "dead_latents": "saeinit.metrics.activity",
        "fvu": "saeinit.metrics.activity",
        "l0": "saeinit.metrics.activity",
        "cosine_matrix": "saeinit.metrics.recovery",
        "live_max_cosines": "saeinit.metrics.recovery",
        "live_mmcs": "saeinit.metrics.recovery",
        "max_cosines": "saeinit.metrics.recovery",
        "mcc": "saeinit.metrics.recovery",
        "mmcs": "saeinit.metrics.recovery",
        "recovered_fraction": "saeinit.metrics.recovery",
        "recovery_summary": "saeinit.metrics.recovery",
        "seed_mmcs": "saeinit.metrics.recovery",
    },
)
