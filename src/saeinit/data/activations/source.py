"""Training data from a collection: a shuffling buffer over the shards, seeded samplers for
the init and statistics, and the collection's last tokens held out for evaluation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from saeinit.config import ConfigError
from saeinit.data.activations.config import ActivationsConfig
from saeinit.data.activations.shards import ActivationStore, holdout_size
from saeinit.data.source import Source
from saeinit.seeding import torch_generator

log = logging.getLogger(__name__)


def shuffled_batches(
    store: ActivationStore, stop: int, batch_size: int, buffer_size: int, generator: torch.Generator
) -> Iterator[torch.Tensor]:
    """Endless training batches of rows 0..stop-1: chunks of the shards in a fresh random order
    each epoch pour into a buffer of about `buffer_size` rows; whenever it is full it is
    shuffled and all but half of it leaves in batches."""
    buffer_size = max(min(buffer_size, stop), 2 * batch_size)  # never more than the data
    chunk = max(batch_size, buffer_size // 16)
    chunks = [(low, min(low + chunk, stop)) for low in range(0, stop, chunk)]
    parts: list[torch.Tensor] = [torch.empty(0, store.dim)]
    held = 0
    while True:
        for index in torch.randperm(len(chunks), generator=generator).tolist():
            parts.append(store.rows(*chunks[index]))
            held += len(parts[-1])
            if held < buffer_size:
                continue
            buffer = torch.cat(parts)
            buffer = buffer[torch.randperm(len(buffer), generator=generator)]
            leaving = (len(buffer) - buffer_size // 2) // batch_size * batch_size
            yield from buffer[:leaving].split(batch_size)
            parts, held = [buffer[leaving:]], len(buffer) - leaving


def row_sampler(
    store: ActivationStore, stop: int, generator: torch.Generator
) -> Callable[[int], torch.Tensor]:
    """A function n -> [n, d] of distinct random rows among 0..stop-1 (all when n >= stop)."""

    def draw(n: int) -> torch.Tensor:
        if n >= stop:
            return store.take(torch.randperm(stop, generator=generator))
        if stop <= 1 << 24:
            return store.take(torch.randperm(stop, generator=generator)[:n])
        chosen = torch.empty(0, dtype=torch.long)
        while len(chosen) < n:
            more = torch.randint(stop, (2 * n,), generator=generator)
            chosen = torch.cat([chosen, more]).unique()  # sorted, so shuffled below
        chosen = chosen[torch.randperm(len(chosen), generator=generator)[:n]]
        return store.take(chosen)

    return draw


def activation_source(
    config: ActivationsConfig,
    batch_size: int,
    seed: int,
    eval_samples: int,
    device: torch.device | str = "cpu",
) -> Source:
    """Training batches, init and statistics samplers (seeded streams of their own) and the
    held-out evaluation sample of a collection. An incomplete collection (interrupted, or still
    being collected) is used as it stands, with a one-line warning; its `info` says so too."""
    store = ActivationStore(Path(str(config.activations)))
    if not store.complete:
        log.warning(
            "warning: %s is an incomplete collection (%d tokens; its collection was interrupted "
            "or is still running): training on the tokens it holds; `saeinit collect` with the "
            "same settings and --out resumes it",
            config.activations,
            store.count,
        )
    held_out = holdout_size(store.count, eval_samples)
    stop = store.count - held_out
    if stop < batch_size:
        raise ConfigError(
            "activations",
            f"{config.activations} holds {store.count} tokens: too few for batches of "
            f"{batch_size} after holding out {held_out} for evaluation",
        )
    batches = (
        batch.to(device)
        for batch in shuffled_batches(
            store, stop, batch_size, config.buffer_size, torch_generator(seed, "train")
        )
    )
    init_draw = row_sampler(store, stop, torch_generator(seed, "init"))
    stats_draw = row_sampler(store, stop, torch_generator(seed, "stats"))
    info = store.info() | {"train_tokens": stop, "eval_tokens": held_out}
    return Source(
        dim=store.dim,
        batches=batches,
        draw=lambda n: init_draw(n).to(device),
        stats=lambda n: stats_draw(n).to(device),
        eval_x=store.rows(stop, store.count).to(device),
        info=info,
    )
