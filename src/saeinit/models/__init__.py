"""SAE architectures, their settings and their on-disk format."""

from saeinit.models.config import SAEConfig
from saeinit.models.relu_sae import ForwardOutput, ReLUSAE
from saeinit.models.topk_sae import TopKSAE

ARCHITECTURES: dict[str, type[ReLUSAE]] = {"relu": ReLUSAE, "topk": TopKSAE}
"""Architecture name (--architecture) -> SAE class."""


def build_sae(config: SAEConfig, d_in: int, d_sae: int) -> ReLUSAE:
    """An SAE of the configured architecture, its weights not yet initialised."""
    return ARCHITECTURES[config.architecture].from_config(config, d_in, d_sae)


__all__ = ["ARCHITECTURES", "ForwardOutput", "ReLUSAE", "SAEConfig", "TopKSAE", "build_sae"]
