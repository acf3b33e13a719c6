"""One whole run: data source, init, model and training, from one config to one result."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple

import torch

from saeinit.config import ConfigError, to_dict
from saeinit.data import ArrayDataset, ToyConfig, ToyData, load_npz, parse_scenario
from saeinit.data.toy import torch_generator
from saeinit.inits import InitConfig, InitRequest, initialize
from saeinit.models import ReLUSAE, SAEConfig
from saeinit.training.config import TrainConfig
from saeinit.training.threads import configure_cpu
from saeinit.training.trainer import train


@dataclass
class RunConfig:
    """Every setting of a run; saved whole in its result."""

    data: ToyConfig = field(default_factory=ToyConfig)
    sae: SAEConfig = field(default_factory=SAEConfig)
    init: InitConfig = field(default_factory=InitConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data_file: str | None = None
    """Train on this .npz dataset (x, optional features) instead of toy data."""


SECTIONS: dict[str, type] = {
    "data": ToyConfig,
    "sae": SAEConfig,
    "init": InitConfig,
    "train": TrainConfig,
}
EXTRA_SETTINGS = ("scenario", "data_seed", "data_file")
"""Flat settings that are not a field of one section: --scenario sets dim and features,
--data-seed the toy seed (default: seed), --data-file the RunConfig's data_file."""


def setting_names() -> set[str]:
    """Every flat setting name a grid or the CLI may use."""
    names = {f.name for cls in SECTIONS.values() for f in fields(cls)}
    return names | set(EXTRA_SETTINGS)


def config_from_settings(settings: dict) -> RunConfig:
    """Build a RunConfig from flat settings (CLI option names with underscores); settings not
    given take the dataclass defaults. `seed` seeds both the data and the training."""
    settings = {k: v for k, v in settings.items() if v is not None}
    if "scenario" in settings:
        dim, features = parse_scenario(str(settings.pop("scenario")))
        for name, implied in (("dim", dim), ("features", features)):
            if settings.setdefault(name, implied) != implied:
                raise ConfigError(name, f"contradicts --scenario {dim}x{features}")
    data_seed = settings.pop("data_seed", None)
    data_file = settings.pop("data_file", None)
    sections: dict[str, dict] = {name: {} for name in SECTIONS}
    for key, value in settings.items():
        owners = [name for name, cls in SECTIONS.items() if key in {f.name for f in fields(cls)}]
        if not owners:
            raise ConfigError(
                key.replace("_", "-"), f"unknown setting; known: {sorted(setting_names())}"
            )
        for owner in owners:
            sections[owner][key] = value
    if data_seed is not None:
        sections["data"]["seed"] = data_seed
    built = {name: SECTIONS[name](**values) for name, values in sections.items()}
    return RunConfig(**built, data_file=data_file)


class Source(NamedTuple):
    """Where a run's data comes from."""

    dim: int
    batches: Iterator[torch.Tensor]
    draw: Callable[[int], torch.Tensor]
    eval_x: torch.Tensor
    features: torch.Tensor | None


class RunOutput(NamedTuple):
    result: dict
    """The result JSON: config, MMCS, timings, thresholds and history."""
    model: ReLUSAE
    features: torch.Tensor | None


def make_source(config: RunConfig) -> Source:
    seed, eval_n = config.train.seed, config.train.eval_samples
    device = config.train.torch_device()
    if config.data_file is not None:
        return _dataset_source(load_npz(Path(config.data_file)).to(device), seed, eval_n)
    toy = ToyData(config.data, device)
    if config.data.dataset_size is not None:
        fixed = toy.sample(config.data.dataset_size, torch_generator(seed, "train", device))
        return _dataset_source(ArrayDataset(fixed.x, toy.features), seed, eval_n)
    return Source(
        dim=config.data.dim,
        batches=toy.stream(config.train.batch_size, seed),
        draw=toy.sampler(seed, batch_size=config.train.batch_size),
        eval_x=toy.sampler(seed, "eval", config.train.batch_size)(eval_n),
        features=toy.features,
    )


def _dataset_source(dataset: ArrayDataset, seed: int, eval_n: int) -> Source:
    return Source(
        dim=dataset.dim,
        batches=dataset.epochs(seed),
        draw=dataset.sampler(seed),
        eval_x=dataset.sampler(seed, "eval")(eval_n),
        features=dataset.features,
    )


def resolve_dict_size(config: RunConfig, source: Source) -> int:
    if config.sae.dict_size is not None:
        return config.sae.dict_size
    if source.features is None:
        raise ConfigError("dict-size", "is required when the data has no ground-truth features")
    return len(source.features)


def run(config: RunConfig) -> RunOutput:
    threads = configure_cpu(config.train.threads)
    source = make_source(config)
    n_atoms = resolve_dict_size(config, source)
    generator = torch_generator(config.train.seed, "init")
    model = ReLUSAE(source.dim, n_atoms, config.sae.l1)
    model.reset_encoder(generator)
    # Inits run on the CPU (scikit-learn needs it); the model moves to the device after.
    request = InitRequest(
        n_atoms, source.dim, generator, lambda n: source.draw(n).cpu(), config.init
    )
    init = initialize(request)
    model.set_weights(init.W_dec, init.W_enc)
    model.to(config.train.torch_device())
    result = train(model, source.batches, config.train, source.features, source.eval_x)
    output = {"config": to_dict(config), "dict_size": n_atoms, "threads": threads}
    output |= {"init_seconds": init.seconds} | result.to_dict()
    return RunOutput(output, model, source.features)
