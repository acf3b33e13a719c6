"""One whole run: data source, init, model and training, from one config to one result."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple

import torch

from saeinit.config import ConfigError, to_dict
from saeinit.data import ArrayDataset, ToyConfig, ToyData, load_npz, parse_scenario
from saeinit.data.activations import ActivationsConfig, activation_source
from saeinit.data.toy import torch_generator
from saeinit.inits import InitConfig, InitRequest, draw_sample, initialize
from saeinit.inits.encoder import FIT_SAMPLES, fitted_encoder
from saeinit.models import ARCHITECTURES, ReLUSAE, SAEConfig, TopKSAE, build_sae
from saeinit.models.io import load_sae, save_sae
from saeinit.models.preprocess import initial_b_dec, norm_scaling_factor
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
    acts: ActivationsConfig = field(default_factory=ActivationsConfig)
    data_file: str | None = None
    """Train on this .npz dataset (x, optional features) instead of toy data."""
    start_from: str | None = None
    """Start from this saved SAE (ours or SAELens' standard SAE) instead of an init."""
    save_under: str | None = None
    """Save the trained SAE (SAELens layout) in a subfolder of this folder named after the
    run (init, seed and a hash of its settings); for grids, where each run needs its own."""


SECTIONS: dict[str, type] = {
    "data": ToyConfig,
    "sae": SAEConfig,
    "init": InitConfig,
    "train": TrainConfig,
    "acts": ActivationsConfig,
}
EXTRA_SETTINGS = ("scenario", "data_seed", "data_file", "start_from", "save_under")
"""Flat settings that are not a field of one section: --scenario sets dim and features,
--data-seed the toy seed (default: seed), and the RunConfig's own fields."""
STATS_SAMPLES = 8192
"""Size of the sample that the normalisation factor and a data-based b_dec are computed on."""


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
    top = {name: settings.pop(name, None) for name in ("data_file", "start_from", "save_under")}
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
    return RunConfig(**built, **top)


class Source(NamedTuple):
    """Where a run's data comes from."""

    dim: int
    batches: Iterator[torch.Tensor]
    draw: Callable[[int], torch.Tensor]
    eval_x: torch.Tensor
    features: torch.Tensor | None
    stats: Callable[[int], torch.Tensor] | None = None
    """Draws n samples from a stream of their own, for the statistics an SAE is set up with
    (normalisation factor, b_dec) without touching the init or training streams."""
    info: dict | None = None
    """What the result records about the data (activations: model, hook, token counts)."""
    fired: torch.Tensor | None = None
    """How often each ground-truth feature was active in the samples the init and training
    drew (toy data; a fixed dataset counts each distinct sample once)."""


class RunOutput(NamedTuple):
    result: dict
    """The result JSON: config, MMCS, timings, thresholds and history."""
    model: ReLUSAE
    features: torch.Tensor | None
    scaling_factor: float | None = None
    """The input normalisation the model was trained under (None: none); `save_sae` folds
    it into the saved weights."""
    metadata: dict | None = None
    """What a saved SAE's cfg.json records about the data (model_name, hook_name, ...)."""


def make_source(config: RunConfig) -> Source:
    seed, eval_n = config.train.seed, config.train.eval_samples
    device = config.train.torch_device()
    if config.acts.activations is not None:
        if config.data_file is not None:
            raise ConfigError("activations", "give either --activations or --data, not both")
        acts = activation_source(config.acts, config.train.batch_size, seed, eval_n, device)
        return Source(acts.dim, acts.batches, acts.draw, acts.eval_x, None, acts.stats, acts.info)
    if config.data_file is not None:
        return _dataset_source(load_npz(Path(config.data_file)).to(device), seed, eval_n)
    toy = ToyData(config.data, device)
    fired = torch.zeros(config.data.features, dtype=torch.long, device=device)
    if config.data.dataset_size is not None:
        fixed = toy.sample(config.data.dataset_size, torch_generator(seed, "train", device))
        source = _dataset_source(ArrayDataset(fixed.x, toy.features), seed, eval_n)
        return source._replace(fired=fired + (fixed.coefficients > 0).sum(dim=0))
    return Source(
        dim=config.data.dim,
        batches=toy.stream(config.train.batch_size, seed, fired=fired),
        draw=toy.sampler(seed, batch_size=config.train.batch_size, fired=fired),
        eval_x=toy.sampler(seed, "eval", config.train.batch_size)(eval_n),
        features=toy.features,
        stats=toy.sampler(seed, "stats", config.train.batch_size),
        fired=fired,
    )


def _dataset_source(dataset: ArrayDataset, seed: int, eval_n: int) -> Source:
    return Source(
        dim=dataset.dim,
        batches=dataset.epochs(seed),
        draw=dataset.sampler(seed),
        eval_x=dataset.sampler(seed, "eval")(eval_n),
        features=dataset.features,
        stats=dataset.sampler(seed, "stats"),
    )


def scaled(source: Source, factor: float) -> Source:
    """The same source with every sample multiplied by `factor` (ground truth unchanged)."""
    return source._replace(
        batches=(batch * factor for batch in source.batches),
        draw=lambda n: source.draw(n) * factor,
        eval_x=source.eval_x * factor,
        stats=None if source.stats is None else (lambda n: source.stats(n) * factor),
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
    factor = None
    if config.sae.normalize_activations == "expected_average_only_in":
        factor = norm_scaling_factor(_stats(source, "normalize-activations"))
        source = scaled(source, factor)
    if config.start_from is not None:
        model, init_seconds = _resumed_model(config, source, factor), 0.0
    else:
        model, init_seconds = _initialised_model(config, source)
    model.to(config.train.torch_device())
    result = train(model, source.batches, config.train, source.features, source.eval_x)
    output = {"config": to_dict(config), "dict_size": model.d_sae, "threads": threads}
    output |= {"init_seconds": init_seconds, "norm_scaling_factor": factor}
    output |= {"data_info": source.info} | result.to_dict()
    output["features_fired"] = feature_ceiling(source.fired)
    metadata = saelens_metadata(source.info)
    if config.save_under is not None:
        folder = Path(config.save_under) / run_folder_name(config)
        save_sae(folder, model, output["config"], source.features, factor, metadata)
        output["saved_to"] = str(folder)
    return RunOutput(output, model, source.features, factor, metadata)


FIRED_COUNTS = (1, 10)
"""The ceiling a run reports: how many features fired at least this often in its samples."""


def feature_ceiling(fired: torch.Tensor | None) -> dict[str, int] | None:
    """{"1": features active in at least 1 sample seen, "10": in at least 10}, or None when
    the data has no ground truth to count."""
    if fired is None:
        return None
    return {str(count): int((fired >= count).sum()) for count in FIRED_COUNTS}


def _stats(source: Source, option: str) -> torch.Tensor:
    if source.stats is None:
        raise ConfigError(option, "this data source cannot draw a statistics sample")
    return source.stats(STATS_SAMPLES).float()


def _initialised_model(config: RunConfig, source: Source) -> tuple[ReLUSAE, float]:
    n_atoms = resolve_dict_size(config, source)
    generator = torch_generator(config.train.seed, "init")
    model = build_sae(config.sae, source.dim, n_atoms)
    model.reset_encoder(generator)
    draw = source.draw
    if model.b_dec is not None:
        sample = None if config.sae.b_dec == "zeros" else _stats(source, "b-dec").cpu()
        b_dec = initial_b_dec(config.sae.b_dec, source.dim, sample)
        with torch.no_grad():
            model.b_dec.copy_(b_dec)
        # The atoms reconstruct x - b_dec, so the informed inits see the data minus b_dec.
        draw = lambda n: source.draw(n).cpu() - b_dec  # noqa: E731
    # Inits run on the CPU (scikit-learn needs it); the model moves to the device after.
    request = InitRequest(n_atoms, source.dim, generator, lambda n: draw(n).cpu(), config.init)
    init = initialize(request)
    model.set_weights(init.W_dec, init.W_enc)
    return model, init.seconds + _init_encoder(config, model, request)


def _init_encoder(config: RunConfig, model: ReLUSAE, request: InitRequest) -> float:
    """Apply --encoder-init to the model; returns the seconds it took."""
    start = time.perf_counter()
    if config.sae.encoder_init == "tied":
        model.tie_encoder()
    elif config.sae.encoder_init == "fitted":
        sample = draw_sample(request, FIT_SAMPLES)
        model.set_encoder(*fitted_encoder(model.W_dec.detach(), sample, config.init.omp_k))
    return time.perf_counter() - start


def _resumed_model(config: RunConfig, source: Source, factor: float | None) -> ReLUSAE:
    """A saved SAE (ours or SAELens'), put in the form training keeps: on the scaled data
    when normalising, and with unit-norm atoms (the encoder absorbs their norms)."""
    model = load_sae(Path(config.start_from))
    if model.d_in != source.dim:
        raise ConfigError(
            "start-from", f"the SAE takes width {model.d_in}, the data has width {source.dim}"
        )
    if config.sae.dict_size is not None and config.sae.dict_size != model.d_sae:
        raise ConfigError(
            "dict-size", f"is {config.sae.dict_size}, the SAE to start from has {model.d_sae}"
        )
    expected = ARCHITECTURES[config.sae.architecture]
    if type(model) is not expected:
        raise ConfigError(
            "architecture",
            f"is {config.sae.architecture}, the SAE to start from is {type(model).__name__}",
        )
    if isinstance(model, TopKSAE):
        model.k = config.sae.k
    else:
        model.l1_coefficient = config.sae.l1
    if factor is not None:
        model.fold_scaling(1.0 / factor)
    model.fold_decoder_norm()
    return model


def saelens_metadata(info: dict | None) -> dict:
    """The cfg.json keys SAELens keeps as metadata, for an SAE trained on activations."""
    if not info or "hook_name" not in info:
        return {}
    return {
        "model_name": info["model"],
        "hook_name": info["hook_name"],
        "hook_head_index": None,
        "context_size": info["context_size"],
        "dataset_path": info["corpus"],
        "prepend_bos": True,
    }


def run_folder_name(config: RunConfig) -> str:
    """init[-ratio]-seedN-HASH, the hash over every setting that changes what is computed."""
    settings = to_dict(config)
    settings.pop("save_under")
    for name in ("threads", "progress"):
        settings["train"].pop(name)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    return f"{config.init.init}-seed{config.train.seed}-{digest}"
