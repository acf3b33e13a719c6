"""The SAE architectures, by --architecture name. Adding one: a module with its SAE subclass
(activation, sparsity term, SAELens settings), its options in `options.py`, and one line
below. No torch here: the model's module loads when an SAE is built or loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from saeinit.config import ConfigError
from saeinit.lazy import load
from saeinit.models.options import (
    BatchTopKOptions,
    JumpReLUOptions,
    MatryoshkaOptions,
    ReLUOptions,
    TopKOptions,
)

if TYPE_CHECKING:
    from saeinit.models.base import SAE
    from saeinit.models.config import SAEConfig


class Architecture(NamedTuple):
    name: str
    """The --architecture value."""
    saelens_name: str
    """The `architecture` of SAELens' cfg.json for this SAE."""
    options: type
    """A dataclass of this architecture's own settings (models/options.py)."""
    model: str
    """Where its SAE class is: "saeinit.models.module:Class"."""

    def sae_class(self) -> type[SAE]:
        """The SAE class, imported on first use."""
        return load(self.model)


_ALL = (
    Architecture("relu", "standard", ReLUOptions, "saeinit.models.relu_sae:ReLUSAE"),
    Architecture("topk", "topk", TopKOptions, "saeinit.models.topk_sae:TopKSAE"),
    Architecture(
        "jumprelu", "jumprelu", JumpReLUOptions, "saeinit.models.jumprelu_sae:JumpReLUSAE"
    ),
    Architecture(
        "batchtopk", "jumprelu", BatchTopKOptions, "saeinit.models.batchtopk_sae:BatchTopKSAE"
    ),
    Architecture(
        "matryoshka",
        "jumprelu",
        MatryoshkaOptions,
        "saeinit.models.matryoshka_batchtopk_sae:MatryoshkaBatchTopKSAE",
    ),
)
ARCHITECTURES: dict[str, Architecture] = {arch.name: arch for arch in _ALL}
"""Architecture name (--architecture) -> its entry, in the order `--help` lists them."""


def build_sae(config: SAEConfig, d_in: int, d_sae: int) -> SAE:
    """A new SAE of the configured architecture, d_in inputs and d_sae latents."""
    return ARCHITECTURES[config.architecture].sae_class().from_config(config, d_in, d_sae)


def architecture_of(model_class: type) -> Architecture:
    """The registry's entry of an SAE class."""
    for arch in ARCHITECTURES.values():
        if arch.sae_class() is model_class:
            return arch
    raise KeyError(f"{model_class.__name__} is not a registered architecture")


def by_saelens_name(name: str, where: str) -> Architecture:
    """The architecture SAELens calls `name` (in cfg.json), or a clear error; the first
    registered one when several save under that name (BatchTopK and Matryoshka BatchTopK save
    as JumpReLU)."""
    for arch in ARCHITECTURES.values():
        if arch.saelens_name == name:
            return arch
    known = ", ".join(dict.fromkeys(repr(arch.saelens_name) for arch in ARCHITECTURES.values()))
    raise ConfigError("sae", f"{where} holds a {name!r} SAE; only {known} load here")
