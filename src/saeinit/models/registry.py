"""The SAE architectures, by --architecture name. Adding one: a module with its SAE subclass
(name, SAELens name, Options, activation, sparsity term) and one line below."""

from __future__ import annotations

from saeinit.config import ConfigError
from saeinit.models.base import SAE
from saeinit.models.batchtopk_sae import BatchTopKSAE
from saeinit.models.jumprelu_sae import JumpReLUSAE
from saeinit.models.relu_sae import ReLUSAE
from saeinit.models.topk_sae import TopKSAE

ARCHITECTURES: dict[str, type[SAE]] = {
    cls.name: cls for cls in (ReLUSAE, TopKSAE, JumpReLUSAE, BatchTopKSAE)
}
"""Architecture name (--architecture) -> SAE class, in the order `--help` lists them."""


def by_saelens_name(name: str, where: str) -> type[SAE]:
    """The architecture SAELens calls `name` (in cfg.json), or a clear error; the first
    registered one when several save under that name (BatchTopK saves as JumpReLU)."""
    for cls in ARCHITECTURES.values():
        if cls.saelens_architecture == name:
            return cls
    known = ", ".join(dict.fromkeys(repr(c.saelens_architecture) for c in ARCHITECTURES.values()))
    raise ConfigError("sae", f"{where} holds a {name!r} SAE; only {known} load here")
