"""Activations of a real transformer: collection into on-disk shards, and reading them back.

`collect` runs a Hugging Face model over a text corpus and stores one layer's activations (the
residual stream after a block, or the block's MLP output) for every token in safetensors shards
with a manifest, resumably. `ActivationStore` opens a collection and checks it before anything
trains on it; `activation_source` turns it into training batches drawn through a shuffling
buffer, an init sampler and a held-out evaluation sample.

- `config`: the settings (`CollectConfig`, `ActivationsConfig`) and their choices;
- `hooks`: finding and loading the model, and running it up to the hooked layer;
- `shards`: the shards and manifest on disk, and the checked store that reads them;
- `collection`: `collect`, the collection itself, resumed where an interrupted one stopped;
- `source`: training batches, samplers and the held-out sample of a collection.
"""

from saeinit.data.activations.collection import collect
from saeinit.data.activations.config import DTYPES, SITES, ActivationsConfig, CollectConfig
from saeinit.data.activations.shards import ActivationStore, holdout_size
from saeinit.data.activations.source import activation_source

__all__ = [
    "DTYPES",
    "SITES",
    "ActivationStore",
    "ActivationsConfig",
    "CollectConfig",
    "activation_source",
    "collect",
    "holdout_size",
]
