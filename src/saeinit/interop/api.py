"""`initial_weights`: an informed initial SAE from activations in memory, for any trainer.

It runs the same steps as `saeinit init` and `saeinit train` before training (the b_dec init,
the registered dictionary init, the encoder init), on a fixed sample of activations: a tensor,
or the first rows of an iterator of batches. Errors are one-line `ConfigError`s naming the
argument to change.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import fields

import torch

from saeinit import RunConfig, config_from_settings
from saeinit.config import ConfigError
from saeinit.data.dataset import ArrayDataset
from saeinit.inits import InitConfig, get
from saeinit.interop.weights import InitialWeights, sae_weights
from saeinit.tensors import non_finite_rows
from saeinit.training.run import initialised_model
from saeinit.training.sources import dataset_source

ITERATOR_SAMPLES = 65536
"""Rows read from an iterator of batches unless `samples` says otherwise: more than the
default init samples and the encoder fit draw, so that they are distinct rows."""
ARGUMENTS = {"data": "activations"}
"""The argument of `initial_weights` that a setting's error is about, where its name differs
from the setting's (the rest: the setting with underscores)."""


def initial_weights(
    activations: torch.Tensor | Iterable[torch.Tensor],
    dict_size: int,
    init: str = "mod",
    encoder_init: str = "fitted",
    b_dec: str = "zeros",
    *,
    seed: int = 0,
    samples: int = ITERATOR_SAMPLES,
    features: torch.Tensor | None = None,
    device: str = "cpu",
    progress: bool = True,
    **init_options,
) -> InitialWeights:
    """The initial weights of an SAE with `dict_size` latents for `activations` [n, d_in].

    `activations` is a tensor (or array) [n, d_in], or an iterator of batches [batch, d_in]
    of which the first `samples` rows are read. `init` is any registered init (`saeinit
    inits`; the oracle needs the ground truth `features` [G, d_in]), `encoder_init` default,
    tied or fitted, `b_dec` zeros, mean or geometric_median; `init_options` are the init's own
    settings (InitConfig's fields: mod_iters, omp_k, init_samples, ...). The same seed and rows
    give the weights `saeinit init --data` builds. `device` (cpu, cuda or auto) is where the
    init runs, as `saeinit init --device`; the weights come back on the CPU, whatever the
    device. An init that runs more than a few seconds
    prints a line per stage on stderr unless `progress` is False. The weights fit the
    activations as given: for a trainer that rescales its inputs (SAELens'
    normalize_activations), pass them rescaled."""
    with named_as_arguments():
        run = {"seed": seed, "device": device, "progress": progress}
        config = _config(dict_size, init, encoder_init, b_dec, run, init_options)
        if get(init).needs_ground_truth and features is None:
            raise ConfigError(
                "features",
                f"the {init} init starts from the ground-truth features: pass features "
                "[G, d_in], or choose another init",
            )
        x = _sample(activations, samples, dict_size)
        features = None if features is None else torch.as_tensor(features).detach()
        dataset = ArrayDataset(x, features, features_from="features")
        source = dataset_source(dataset, config.train.batch_size, seed, config.train.eval_samples)
        model, _ = initialised_model(config, source, len(x))
    return sae_weights(model)


@contextlib.contextmanager
def named_as_arguments() -> Iterator[None]:
    """Re-raise a setting's ConfigError under the name of the argument that sets it."""
    try:
        yield
    except ConfigError as err:
        name = ARGUMENTS.get(err.option, err.option.replace("-", "_"))
        raise ConfigError(name, err.message) from err


def _config(
    dict_size: int,
    init: str,
    encoder_init: str,
    b_dec: str,
    run: dict,
    init_options: dict,
) -> RunConfig:
    known = [f.name for f in fields(InitConfig)]
    for name in init_options:
        if name not in known:
            raise ConfigError(name, f"is not an init setting; the init takes {', '.join(known)}")
    settings = {"dict_size": dict_size, "encoder_init": encoder_init, "b_dec": b_dec}
    settings |= {"init": init} | run
    return config_from_settings(settings | init_options)


def _sample(activations, samples: int, dict_size: int) -> torch.Tensor:
    """The activations as one tensor [n, d_in]: a tensor or array as it is, or the first
    `samples` rows of an iterator of batches; refused when empty, non-finite or smaller than
    the dictionary."""
    if hasattr(activations, "shape"):  # a tensor or an array, not an iterator of batches
        x = _rows(activations)
    else:
        x = _first_rows(activations, samples)
    if len(x) == 0:
        raise ConfigError("activations", "is empty; pass at least dict_size samples")
    bad = non_finite_rows(x)
    if bad:
        raise ConfigError(
            "activations",
            f"{bad} of its {len(x)} samples hold NaN or inf; drop or fix them before the init",
        )
    if len(x) < dict_size:
        raise ConfigError(
            "activations",
            f"holds {len(x)} samples, fewer than the dict_size of {dict_size}: the informed "
            "inits take atoms from the samples; pass more samples or a smaller dict_size",
        )
    return x


def _first_rows(batches: Iterable[torch.Tensor], samples: int) -> torch.Tensor:
    if samples < 1:
        raise ConfigError("samples", f"must be an integer >= 1, got {samples}")
    rows, count = [], 0
    for batch in batches:
        rows.append(_rows(batch))
        count += len(rows[-1])
        if count >= samples:
            break
    if not rows:
        raise ConfigError("activations", "gave no batches; pass a tensor or a non-empty iterator")
    if len({part.shape[1] for part in rows}) > 1:
        raise ConfigError("activations", "gave batches of different widths; give one d_in")
    return torch.cat(rows)[:samples]


def _rows(values) -> torch.Tensor:
    values = torch.as_tensor(values).detach()
    if values.is_complex() or values.dtype == torch.bool:
        raise ConfigError("activations", f"holds {values.dtype} values; pass real numbers")
    if values.ndim != 2:
        raise ConfigError(
            "activations",
            f"expected a tensor [n, d_in] or batches [batch, d_in], got shape "
            f"{tuple(values.shape)}; flatten the leading dimensions",
        )
    return values
