"""SAE architectures (one module each, listed in `registry.py`), their settings and their
on-disk format."""

from saeinit.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "ARCHITECTURES": "saeinit.models.registry",
        "build_sae": "saeinit.models.registry",
        "SAEConfig": "saeinit.models.config",
        "SAE": "saeinit.models.base",
        "ForwardOutput": "saeinit.models.base",
        "ReLUSAE": "saeinit.models.relu_sae",
        "TopKSAE": "saeinit.models.topk_sae",
        "JumpReLUSAE": "saeinit.models.jumprelu_sae",
        "BatchTopKSAE": "saeinit.models.batchtopk_sae",
        "MatryoshkaBatchTopKSAE": "saeinit.models.matryoshka_batchtopk_sae",
    },
)
