"""SAE architectures (one module each, listed in `registry`), their settings and their
on-disk format."""

from saeinit.models.base import SAE, ForwardOutput
from saeinit.models.config import SAEConfig
from saeinit.models.registry import ARCHITECTURES
from saeinit.models.relu_sae import ReLUSAE
from saeinit.models.topk_sae import TopKSAE


def build_sae(config: SAEConfig, d_in: int, d_sae: int) -> SAE:
    """An SAE of the configured architecture, its weights not yet initialised."""
    return ARCHITECTURES[config.architecture].from_config(config, d_in, d_sae)


__all__ = ["ARCHITECTURES", "SAE", "ForwardOutput", "ReLUSAE", "SAEConfig", "TopKSAE", "build_sae"]
