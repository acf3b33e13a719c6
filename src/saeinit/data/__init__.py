"""Training data: toy superposition data, fixed datasets and model activations."""

from saeinit.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "ArrayDataset": "saeinit.data.dataset",
        "load_npz": "saeinit.data.dataset",
        "save_npz": "saeinit.data.dataset",
        "ToyBatch": "saeinit.data.toy",
        "ToyData": "saeinit.data.toy",
        "ToyConfig": "saeinit.data.toy_config",
        "parse_scenario": "saeinit.data.toy_config",
    },
)
