"""SAE architectures and their on-disk format."""

from saeinit.models.relu_sae import ForwardOutput, ReLUSAE, SAEConfig

__all__ = ["ForwardOutput", "ReLUSAE", "SAEConfig"]
