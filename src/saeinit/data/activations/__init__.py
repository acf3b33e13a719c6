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

from saeinit.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "collect": "saeinit.data.activations.collection",
        "DTYPES": "saeinit.data.activations.config",
        "SITES": "saeinit.data.activations.config",
        "ActivationsConfig": "saeinit.data.activations.config",
        "CollectConfig": "saeinit.data.activations.config",
        "ActivationStore": "saeinit.data.activations.shards",
        "holdout_size": "saeinit.data.activations.shards",
        "activation_source": "saeinit.data.activations.source",
    },
)
