"""One whole run: data source, init, model and training, from one config to one result."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import NamedTuple

import torch

from saeinit.config import ConfigError, to_dict
from saeinit.cpu import configure_cpu
from saeinit.data.source import CountedDraw, Source, scaled
from saeinit.inits import InitRequest, draw_sample, initialize
from saeinit.inits.encoder import fit_samples
from saeinit.inits.encoders import ENCODER_INITS
from saeinit.lazy import load
from saeinit.models.base import SAE
from saeinit.models.io import load_sae, save_sae
from saeinit.models.preprocess import initial_b_dec, norm_scaling_factor
from saeinit.models.registry import ARCHITECTURES, build_sae
from saeinit.seeding import torch_generator
from saeinit.training.config import TOY_DATASET_DRAW
from saeinit.training.progress import StageLog
from saeinit.training.settings import RunConfig, run_folder_name
from saeinit.training.sources import dataset_size, make_source, resolve_dict_size
from saeinit.training.trainer import train

STATS_SAMPLES = 8192
"""Size of the sample that the normalisation factor and a data-based b_dec are computed on."""
FIRED_COUNTS = (1, 10)
"""The ceiling a run reports: how many features fired at least this often in its samples."""
NPZ_LIVE_COEFFICIENT = 0.5
"""c of the live-MMCS inputs c * f_i on a .npz dataset with features (its coefficients, if
any, are not read): the mean active coefficient of the default toy data."""
SYNTHETIC_LIVE_COEFFICIENT = 4.5
"""c of the live-MMCS inputs on a synthetic world: the middle of SynthSAEBench's mean firing
magnitudes (5 for the most frequent features down to 4 for the rarest)."""


class RunOutput(NamedTuple):
    result: dict
    """The result JSON: config, MMCS, timings, thresholds and history."""
    model: SAE
    features: torch.Tensor | None
    scaling_factor: float | None = None
    """The input normalisation the model was trained under (None: none); `save_sae` folds
    it into the saved weights."""
    metadata: dict | None = None
    """What a saved SAE's cfg.json records about the data (model_name, hook_name, ...)."""


def run(config: RunConfig) -> RunOutput:
    threads = configure_cpu(config.train.threads)
    source = make_source(config)
    size = dataset_size(source)  # before `scaled` wraps the batches
    factor = None
    if config.sae.normalize_activations == "expected_average_only_in":
        factor = norm_scaling_factor(_stats(source))
        source = scaled(source, factor)
    draw = CountedDraw(source.draw)
    source = source._replace(draw=draw)
    if config.start_from is not None:
        model, init_seconds = _resumed_model(config, source, factor), 0.0
    else:
        model, init_seconds = initialised_model(config, source, size)
    model.to(config.train.torch_device())
    coefficient = live_coefficient(config) * (factor or 1.0)
    result = train(
        model,
        source.batches,
        config.train,
        source.features,
        source.eval_x,
        size,
        coefficient,
        source.measure,
    )
    output = {"config": to_dict(config), "dict_size": model.d_sae, "threads": threads}
    output |= {"init_seconds": init_seconds, "init_samples": draw.samples}
    output["norm_scaling_factor"] = factor
    output["toy_dataset_draw"] = TOY_DATASET_DRAW
    output |= {"data_info": source.info} | result.to_dict()
    output["features_fired"] = feature_ceiling(source.fired)
    metadata = saelens_metadata(source.info)
    if config.save_under is not None:
        folder = Path(config.save_under) / run_folder_name(config)
        save_sae(folder, model, output["config"], source.features, factor, metadata)
        output["saved_to"] = str(folder)
    return RunOutput(output, model, source.features, factor, metadata)


def live_coefficient(config: RunConfig) -> float:
    """c of live MMCS's inputs c * f_i, before normalisation: a typical active coefficient,
    the mean of toy data's uniform range [coef-min, coef-max), NPZ_LIVE_COEFFICIENT for a
    .npz dataset, SYNTHETIC_LIVE_COEFFICIENT for a synthetic world (activations have no
    features to present)."""
    if config.synth.synthetic is not None:
        return SYNTHETIC_LIVE_COEFFICIENT
    if config.data_file is not None or config.acts.activations is not None:
        return NPZ_LIVE_COEFFICIENT
    return (config.toy.coef_min + config.toy.coef_max) / 2


def feature_ceiling(fired: torch.Tensor | None) -> dict[str, int] | None:
    """{"1": features active in at least 1 sample seen, "10": in at least 10}, or None when
    the data has no ground truth to count."""
    if fired is None:
        return None
    return {str(count): int((fired >= count).sum()) for count in FIRED_COUNTS}


def _stats(source: Source) -> torch.Tensor:
    return source.stats(STATS_SAMPLES).float()


def initialised_model(
    config: RunConfig, source: Source, rows: int | None = None
) -> tuple[SAE, float]:
    """The SAE a run starts from (dictionary init, b_dec, encoder init) and the init's seconds;
    `saeinit init` and `interop.initial_weights` use it too. `rows`: the samples of a fixed
    dataset (None for a stream)."""
    _check_sample_sizes(config, rows)
    n_atoms = resolve_dict_size(config, source)
    _check_size(config, n_atoms, "one per ground-truth feature, as --dict-size is unset")
    encoder = ENCODER_INITS[config.sae.encoder_init]
    if encoder.check:
        load(encoder.check)(config.init, n_atoms)
    generator = torch_generator(config.train.seed, "init")
    model = build_sae(config.sae, source.dim, n_atoms)
    model.reset_encoder(generator)
    device = config.train.torch_device()
    draw = source.draw
    if model.b_dec is not None:
        sample = None if config.sae.b_dec == "zeros" else _stats(source).cpu()
        b_dec = initial_b_dec(config.sae.b_dec, source.dim, sample)
        with torch.no_grad():
            model.b_dec.copy_(b_dec)
        # The atoms reconstruct x - b_dec, so the informed inits see the data minus b_dec.
        shift = b_dec.to(device)
        draw = lambda n: source.draw(n).to(device) - shift  # noqa: E731
    # The init runs on the training device (its scikit-learn steps copy their sample to the
    # CPU); the model, built on the CPU, takes its weights and moves there after.
    log = StageLog(f"init {config.init.init}", config.train.progress)
    request = InitRequest(
        n_atoms, source.dim, generator, draw, config.init, source.features, device, log
    )
    init = _initialize(request, rows)
    model.set_decoder(init.W_dec)
    log(f"{n_atoms:,} atoms")
    seconds = init.seconds + _init_encoder(config, model, request)
    if model.calibrates:  # on the data as it is (b_dec not subtracted: the model does that)
        start = time.perf_counter()
        model.calibrate(source.draw(config.train.batch_size).to(model.W_dec.device))
        seconds += time.perf_counter() - start
    return model, seconds


def _initialize(request: InitRequest, rows: int | None):
    """The init's atoms. On a fixed dataset of fewer rows than atoms, an init short of samples
    names --dict-size: its sample already holds every row, so no --init-samples can help."""
    try:
        return initialize(request)
    except ConfigError as err:
        if err.option != "init-samples" or rows is None or rows >= request.n_atoms:
            raise
        raise ConfigError(
            "dict-size",
            f"is {request.n_atoms}, more than the {rows} samples the data holds, and the "
            f"{request.config.init} init takes its atoms from samples: give a --dict-size of "
            f"at most {rows}, more data, or an init that needs no samples (orthogonal)",
        ) from err


def _init_encoder(config: RunConfig, model: SAE, request: InitRequest) -> float:
    """Apply --encoder-init to the model; returns the seconds it took."""
    start = time.perf_counter()
    encoder = ENCODER_INITS[config.sae.encoder_init]
    if encoder.function:
        init_samples = config.init.init_samples if encoder.follows_init_samples else None
        samples = fit_samples(init_samples, config.init.encoder_samples)
        sample = draw_sample(request, samples) if encoder.uses_sample else None
        model.set_encoder(*encoder.fn(model.W_dec.detach(), sample, config.init))
        request.report(f"encoder {encoder.name}")
    return time.perf_counter() - start


def _check_sample_sizes(config: RunConfig, rows: int | None) -> None:
    """Refuse an --init-samples or --encoder-samples above the rows of a fixed dataset: its
    draws would silently give fewer samples than asked for."""
    for option in ("init_samples", "encoder_samples"):
        asked = getattr(config.init, option)
        if rows is not None and asked is not None and asked > rows:
            name = option.replace("_", "-")
            raise ConfigError(
                name,
                f"asks for {asked} samples but the data holds {rows}; give more data or a "
                f"smaller --{name}",
            )


def _check_size(config: RunConfig, n_atoms: int, whence: str) -> None:
    """The architecture's checks against the dictionary size the run resolved (`whence` says
    from what; SAEConfig checks only a --dict-size given explicitly): e.g. TopK's --k above
    it."""
    if config.sae.dict_size is not None:
        return
    try:
        dataclasses.replace(config.sae, dict_size=n_atoms)  # __post_init__ checks
    except ConfigError as err:
        raise ConfigError(err.option, f"{err.message} ({whence})") from err


def _resumed_model(config: RunConfig, source: Source, factor: float | None) -> SAE:
    """A saved SAE (ours or SAELens'), put in the form training keeps: on the scaled data
    when normalising, and with unit-norm atoms (the encoder absorbs their norms)."""
    model = load_sae(Path(config.start_from), option="start-from")
    if model.d_in != source.dim:
        raise ConfigError(
            "start-from", f"the SAE takes width {model.d_in}, the data has width {source.dim}"
        )
    if config.sae.dict_size is not None and config.sae.dict_size != model.d_sae:
        raise ConfigError(
            "dict-size", f"is {config.sae.dict_size}, the SAE to start from has {model.d_sae}"
        )
    if type(model) is not ARCHITECTURES[config.sae.architecture].sae_class():
        raise ConfigError(
            "architecture",
            f"is {config.sae.architecture}, the SAE to start from is {model.architecture.name}",
        )
    _check_size(config, model.d_sae, "those of the SAE to start from")
    model.configure(config.sae)
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
