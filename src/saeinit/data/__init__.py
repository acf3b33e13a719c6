"""Data sources: the toy superposition generator and fixed datasets."""

from saeinit.data.dataset import ArrayDataset, load_npz, save_npz
from saeinit.data.toy import ToyBatch, ToyConfig, ToyData, parse_scenario

__all__ = [
    "ArrayDataset",
    "ToyBatch",
    "ToyConfig",
    "ToyData",
    "load_npz",
    "parse_scenario",
    "save_npz",
]
