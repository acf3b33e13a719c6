"""Turn a run's data settings into a `Source`: toy data, a fixed dataset or activations."""

from __future__ import annotations

from pathlib import Path

import torch

from saeinit.config import ConfigError
from saeinit.data.activations import activation_source
from saeinit.data.dataset import ArrayDataset, load_npz
from saeinit.data.source import Source
from saeinit.data.synthetic.source import synthetic_source
from saeinit.data.toy import ToyData
from saeinit.seeding import torch_generator
from saeinit.training.settings import RunConfig

OTHER_DATA = {
    "activations": lambda config: config.acts.activations,
    "data": lambda config: config.data_file,
}
"""The data settings --synthetic cannot be given with, and how to read each."""


def make_source(config: RunConfig) -> Source:
    seed, eval_n = config.train.seed, config.train.eval_samples
    device = config.train.torch_device()
    if config.synth.synthetic is not None:
        given = [name for name, value in OTHER_DATA.items() if value(config) is not None]
        if given:
            raise ConfigError("synthetic", f"give either --synthetic or --{given[0]}, not both")
        progress = config.train.progress
        return synthetic_source(
            config.synth, config.train.batch_size, seed, eval_n, device, progress
        )
    if config.acts.activations is not None:
        if config.data_file is not None:
            raise ConfigError("activations", "give either --activations or --data, not both")
        return activation_source(config.acts, config.train.batch_size, seed, eval_n, device)
    if config.data_file is not None:
        dataset = load_npz(Path(config.data_file)).to(device)
        return dataset_source(dataset, config.train.batch_size, seed, eval_n)
    toy = ToyData(config.toy, device)
    fired = torch.zeros(config.toy.features, dtype=torch.long, device=device)
    if config.toy.dataset_size is not None:
        generator = torch_generator(seed, "train", device)
        fixed = toy.sample_batches(config.toy.dataset_size, generator, config.train.batch_size)
        dataset = ArrayDataset(fixed.x, toy.features)
        source = dataset_source(dataset, config.train.batch_size, seed, eval_n)
        return source._replace(fired=fired + (fixed.coefficients > 0).sum(dim=0))
    return Source(
        dim=config.toy.dim,
        batches=toy.stream(config.train.batch_size, seed, fired=fired),
        draw=toy.sampler(seed, batch_size=config.train.batch_size, fired=fired),
        eval_x=toy.sampler(seed, "eval", config.train.batch_size)(eval_n),
        features=toy.features,
        stats=toy.sampler(seed, "stats", config.train.batch_size),
        fired=fired,
    )


def dataset_source(dataset: ArrayDataset, batch_size: int, seed: int, eval_n: int) -> Source:
    """A fixed dataset as a source: one batch per step, from shuffled epochs (`Batches`)."""
    return Source(
        dim=dataset.dim,
        batches=dataset.batches(batch_size, seed),
        draw=dataset.sampler(seed),
        eval_x=dataset.sampler(seed, "eval")(eval_n),
        features=dataset.features,
        stats=dataset.sampler(seed, "stats"),
    )


def dataset_size(source: Source) -> int | None:
    """How many samples a fixed dataset holds (its epochs are counted in them); None for a
    stream (toy batches drawn fresh, activations). Read it before `scaled` wraps the batches."""
    return getattr(source.batches, "dataset_size", None)


def resolve_dict_size(config: RunConfig, source: Source) -> int:
    if config.sae.dict_size is not None:
        return config.sae.dict_size
    if source.info and "default_dict_size" in source.info:
        return source.info["default_dict_size"]
    if source.features is None:
        raise ConfigError("dict-size", "is required when the data has no ground-truth features")
    return len(source.features)
