"""Training data from a synthetic world: batches of shuffled epochs over its sample pool (or
fresh draws), init and statistics samplers on streams of their own, and a held-out sample
whose feature activations SAELens' metrics read."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from saeinit.data.activations.config import ActivationsConfig
from saeinit.data.activations.source import row_sampler, shuffled_batches
from saeinit.data.source import Source
from saeinit.data.synthetic.config import SyntheticConfig
from saeinit.data.synthetic.pool import draw, sample_pool, stream_seed
from saeinit.data.synthetic.world import World, load_world
from saeinit.seeding import derived_seed, torch_generator

WIDTH_RATIO = 4
"""SynthSAEBench trains SAEs this many times narrower than the world's feature count."""


def synthetic_source(
    config: SyntheticConfig, batch_size: int, seed: int, eval_samples: int, device, progress=True
) -> Source:
    """A world as a Source: its features are the ground truth, and `measure(model, scale)`
    gives SAELens' metrics of a model on the held-out sample (`scale`: the input scaling the
    model was trained under)."""
    from saeinit.metrics.synthetic import synthetic_metrics

    world = load_world(config, str(device))
    model = world.model
    eval_x, codes = draw(model, eval_samples, stream_seed(world.key, "eval"), features=True)
    if config.synthetic_samples:
        store = sample_pool(world, config.synthetic_samples, config.synthetic_workers, progress)
        stop = config.synthetic_samples
        buffer = ActivationsConfig.buffer_size
        batches = shuffled_batches(store, stop, batch_size, buffer, torch_generator(seed, "train"))
        batches = PoolBatches((batch.to(device) for batch in batches), stop)
        init_draw = row_sampler(store, stop, torch_generator(seed, "init"))
        stats_draw = row_sampler(store, stop, torch_generator(seed, "stats"))
    else:
        batches = fresh_batches(model, batch_size, derived_seed(seed, "train"))
        init_draw = fresh_sampler(model, derived_seed(seed, "init"))
        stats_draw = fresh_sampler(model, derived_seed(seed, "stats"))

    def measure(sae, scale: float = 1.0) -> dict:
        return synthetic_metrics(sae, model.feature_dict, eval_x, codes, scale)

    return Source(
        dim=model.cfg.hidden_dim,
        batches=batches,
        draw=lambda n: init_draw(n).to(device),
        eval_x=eval_x,
        stats=lambda n: stats_draw(n).to(device),
        features=by_frequency(model.feature_dict.feature_vectors.detach(), codes),
        info=world_info(world, codes, config.synthetic_samples),
        measure=measure,
    )


class PoolBatches:
    """Training batches over a fixed pool of samples, which says how many it holds (so that a
    run reports its epochs, and an init sample larger than the pool is refused)."""

    def __init__(self, batches: Iterator[torch.Tensor], dataset_size: int):
        self.batches, self.dataset_size = batches, dataset_size

    def __iter__(self):
        return self

    def __next__(self) -> torch.Tensor:
        return next(self.batches)


def fresh_batches(model, batch_size: int, seed: int) -> Iterator[torch.Tensor]:
    """Endless batches drawn from the generator, batch i under a seed of its own."""
    step = 0
    while True:
        yield draw(model, batch_size, seed + step)
        step += 1


def fresh_sampler(model, seed: int):
    """n -> n fresh samples, each call under a seed of its own."""
    calls = iter(range(1 << 62))
    return lambda n: draw(model, n, seed - 1 - next(calls))


def fired_counts(codes: torch.Tensor, n_features: int) -> torch.Tensor:
    """How many held-out samples each feature is active in (codes: sparse [n, G])."""
    columns = codes.indices()[1].cpu()
    return torch.zeros(n_features, dtype=torch.long).index_add_(
        0, columns, torch.ones_like(columns)
    )


def by_frequency(features: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """The features, the most often active in the held-out codes first (ties by index), as
    toy data orders its own: an SAE narrower than the feature count would hold the first."""
    order = torch.sort(-fired_counts(codes, len(features)), stable=True).indices
    return features[order.to(features.device)]


def world_info(world: World, codes: torch.Tensor, pool: int) -> dict:
    """What a result records about the world, with the L0 of its held-out sample and of its
    G/4 most frequent features there (the k SynthSAEBench's width G/4 suits)."""
    cfg = world.model.cfg
    fired = fired_counts(codes, cfg.num_features)
    width = cfg.num_features // WIDTH_RATIO
    top = fired.topk(width).values.sum().item()
    return {
        "synthetic": world.name,
        "world_key": world.key,
        "world_folder": str(world.folder),
        "num_features": cfg.num_features,
        "hidden_dim": cfg.hidden_dim,
        "train_samples": pool or None,
        "eval_samples": len(codes),
        "true_l0": fired.sum().item() / len(codes),
        "top_l0": top / len(codes),
        "default_dict_size": width,
    }
