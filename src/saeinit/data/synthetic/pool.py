"""A world's training samples, generated once into checksummed shards and reused by every run.

Shard i is drawn from SAELens' generator under a seed derived from the world's key and i
alone, so a pool of N samples is the first N of any larger one, a run that asks for more only
adds shards, and an interrupted generation resumes after the shards it completed. Shards are
written in parallel, one process (one thread) each, in the layout of `saeinit collect`
(`data/activations/shards.py`), whose checks they pass before anything trains on them.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import torch

from saeinit.config import ConfigError
from saeinit.cpu import free_cores
from saeinit.data.activations.shards import (
    FORMAT,
    MANIFEST,
    ActivationStore,
    write_json,
    write_shard,
)
from saeinit.data.synthetic.world import World, sae_lens_synthetic

SHARD_ROWS = 65_536
"""Samples per shard file."""
DRAW_ROWS = 4096
"""Samples drawn from the generator at a time (its dense feature activations are G wide)."""
STREAMS = {"train": 1, "eval": 2}

log = logging.getLogger(__name__)


def stream_seed(key: str, stream: str, index: int = 0) -> int:
    """A 63-bit torch seed for one stream of a world's samples (shard `index` of "train")."""
    words = np.random.SeedSequence([int(key, 16), STREAMS[stream], index]).generate_state(2)
    return int(words[0]) << 31 | int(words[1]) >> 1


def draw(model, n: int, seed: int, features: bool = False):
    """n samples of the world under `seed`, leaving torch's global generator as it was; with
    `features`, also their feature activations (a sparse tensor)."""
    xs, codes = [], []
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        for start in range(0, n, DRAW_ROWS):
            acts = model.activation_generator.sample(min(DRAW_ROWS, n - start))
            xs.append(model.feature_dict(acts))
            if features:
                codes.append(acts.to_sparse())
    x = torch.cat(xs)
    return (x, torch.cat(codes).coalesce()) if features else x


def sample_pool(world: World, count: int, workers: int | None, progress: bool) -> ActivationStore:
    """The world's first `count` training samples as a checked store, generating the shards
    it lacks."""
    folder = world.folder / "samples"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(folder, world)
    done = {entry["index"]: entry for entry in manifest["shards"]}
    needed = math.ceil(count / SHARD_ROWS)
    missing = [index for index in range(needed) if index not in done]
    if missing:
        _generate(world, folder, missing, done, workers, progress)
    store = ActivationStore(folder, option="synthetic")
    if store.count < count:
        raise ConfigError("synthetic", f"{folder} holds {store.count} samples, not {count}")
    return store


def _manifest(folder: Path, world: World) -> dict:
    path = folder / MANIFEST
    if not path.exists():
        return {"format": FORMAT, "shards": []}
    store = ActivationStore(folder, verify=False, option="synthetic")  # damage: one line
    if store.manifest.get("world_key") != world.key:
        raise ConfigError("synthetic", f"{folder} holds the samples of another world")
    return store.manifest


def _write_manifest(folder: Path, world: World, done: dict) -> None:
    shards = [done[index] for index in sorted(done)]
    rows = sum(entry["rows"] for entry in shards)
    manifest = {"format": FORMAT, "world": world.name, "world_key": world.key}
    manifest |= {"d_in": world.model.cfg.hidden_dim, "count": rows, "complete": True}
    write_json(folder / MANIFEST, manifest | {"shards": shards})


def _generate(world, folder, missing, done, workers, progress) -> None:
    from tqdm import tqdm

    workers = max(1, min(workers or free_cores(), len(missing)))
    log.warning(
        "generating %d shards of %d samples of %s with %d processes (once; cached in %s)",
        len(missing), SHARD_ROWS, world.name, workers, folder,
    )  # fmt: skip
    bar = tqdm(total=len(missing), desc="synthetic shards", disable=not progress)
    tasks = [(index, stream_seed(world.key, "train", index), SHARD_ROWS) for index in missing]
    if workers == 1:
        results = (_shard(world.model, folder, *task) for task in tasks)
        _collect(results, folder, world, done, bar)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, context, _load_worker, (str(world.folder),)) as pool:
        futures = [pool.submit(_worker_shard, str(folder), *task) for task in tasks]
        _collect((future.result() for future in as_completed(futures)), folder, world, done, bar)


def _collect(results, folder, world, done, bar) -> None:
    for entry in results:
        done[entry["index"]] = entry
        _write_manifest(folder, world, done)  # after every shard: an interruption resumes
        bar.update()
    bar.close()


def _shard(model, folder: Path, index: int, seed: int, rows: int) -> dict:
    samples = draw(model, rows, seed)
    return write_shard(folder, index, samples, "float32") | {"index": index}


_WORKER_MODEL = None


def _load_worker(world_folder: str) -> None:
    global _WORKER_MODEL
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    _WORKER_MODEL = sae_lens_synthetic().SyntheticModel.load_from_disk(world_folder)


def _worker_shard(folder: str, index: int, seed: int, rows: int) -> dict:
    return _shard(_WORKER_MODEL, Path(folder), index, seed, rows)
