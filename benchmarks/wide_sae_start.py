"""saeinit's start for a run of `wide_sae.py`: its weights on the init's sample, each stage of
the init timed, kept on disk so that every informed arm of a width and seed starts from the
same weights and is charged the seconds they took once."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


@contextlib.contextmanager
def timed_stages(stages: dict):
    """Time saeinit's dictionary init and encoder init, as `initialised_model` calls them,
    into `stages` (seconds): the rest of an init is b_dec and the sample's checks."""
    import saeinit.training.run as run

    original = run.initialize, run._init_encoder

    def timing(name, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - start

        return timed

    run.initialize = timing("dictionary", original[0])
    run._init_encoder = timing("encoder", original[1])
    try:
        yield stages
    finally:
        run.initialize, run._init_encoder = original


def informed_weights(task, source, factor: float, cache: Path) -> dict:
    """saeinit's start for `task` on `task.init_rows` rows of the seed's init stream (scaled as
    the batches are): its `weights`, `threshold` (JumpReLU's, else None), `seconds` (the
    sample's draw included) and each stage's seconds (`stages`); kept in `cache` so that every
    informed arm of a width and seed starts from the same weights (Matryoshka's ordered by use,
    JumpReLU's with thresholds, sparsify's, BatchTopK's and Matryoshka's with their atoms
    refitted to the per-token top k and the encoder at its gain), each charged once."""
    import torch

    from saeinit import (
        InitialWeights,
        initial_weights,
        jumprelu_start,
        ordered_by_use,
        topk_atoms,
        topk_gain,
        topk_start,
    )

    path = cache / f"{task.init_key()}.pt"
    if path.exists():
        saved = torch.load(path)
        return saved | {"weights": InitialWeights(**saved["weights"])}
    start = time.perf_counter()
    sample = source.draw(task.init_rows) * factor
    stages = {"draw": time.perf_counter() - start}
    with timed_stages(stages):
        weights = initial_weights(
            sample,
            task.width,
            init=task.init,
            encoder_init=task.encoder_init,
            b_dec="geometric_median",
            seed=task.seed,
            progress=False,
            **dict(task.init_options),
        )
    threshold, adapting = None, time.perf_counter()
    if task.trainer == "matryoshka":
        weights = ordered_by_use(weights, sample, task.k)
        stages["order"] = time.perf_counter() - adapting
    if task.trainer == "jumprelu":
        weights, threshold = jumprelu_start(weights, sample, task.k)
        stages["thresholds"] = time.perf_counter() - adapting
    if task.trainer == "sparsify" and task.topk_min_rows:
        weights = topk_start(weights, sample, task.k, task.topk_min_rows)
        stages["lift"] = time.perf_counter() - adapting
    if task.trainer in ("sparsify", "batchtopk", "matryoshka"):
        refitting = time.perf_counter()
        weights = topk_atoms(weights, sample, task.k)
        stages["atoms"] = time.perf_counter() - refitting
        scaling = time.perf_counter()
        weights = topk_gain(weights, sample, task.k)
        stages["gain"] = time.perf_counter() - scaling
    seconds = time.perf_counter() - start
    stages["other"] = seconds - sum(stages.values())
    informed = {"weights": weights, "threshold": threshold, "seconds": seconds, "stages": stages}
    scratch = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save(informed | {"weights": weights._asdict()}, scratch)
    scratch.replace(path)
    return informed
