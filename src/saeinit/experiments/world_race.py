"""The race on a synthetic world: SAELens' default SAE against the best informed init under
SynthSAEBench's recipe, every run trained through `sweep` into the race's store. The targets
are the baseline's end-of-budget MCC and F1 (medians over seeds); each entry's samples to a
target count the init's own samples, and its seconds the init's."""

from __future__ import annotations

import statistics
from dataclasses import fields
from typing import NamedTuple

from saeinit.data.synthetic import SyntheticConfig, load_world, sample_pool
from saeinit.data.synthetic.pool import draw, stream_seed
from saeinit.data.synthetic.source import world_info
from saeinit.experiments.race import median_or_none, trained_runs
from saeinit.experiments.race_config import WORLD_RECIPE, RaceConfig
from saeinit.metrics.synthetic import METRICS

TARGETS = ("mcc", "f1")
"""The metrics whose baseline end-of-budget values the entries race to."""


class Reach(NamedTuple):
    """When an entry first reached a target (medians over seeds, None: at most half did):
    samples with the init's own, seconds with the init's; `reached` counts the seeds."""

    samples: float | None
    seconds: float | None
    reached: int


class WorldEntry(NamedTuple):
    start: dict[str, float]
    """SAELens' metrics of the start (medians over seeds)."""
    end: dict[str, float]
    init_seconds: float
    init_samples: float
    reach: dict[str, Reach]


class WorldRace(NamedTuple):
    config: RaceConfig
    info: dict
    """What the runs record about the world (features, width, L0s)."""
    k: float
    targets: dict[str, float]
    numbers: dict[str, WorldEntry]
    runs: dict[str, list[dict]]
    computed: int
    stored: int


def world_k(config: RaceConfig, echo=None) -> tuple[float, dict]:
    """The k of SynthSAEBench's recipe on the race's world: the L0 of its quarter most
    frequent features on the held-out sample the runs use, rounded; builds the world and its
    sample pool first (in parallel, once), so that the runs share them."""
    recipe = config.recipe_settings()
    own = {f.name: recipe[f.name] for f in fields(SyntheticConfig) if f.name in recipe}
    synthetic = SyntheticConfig(**(own | {"synthetic": config.synthetic}))
    world = load_world(synthetic)  # the runs' own settings: their cache and sample pool
    sample_pool(world, synthetic.synthetic_samples, workers=None, progress=echo is not None)
    n = int(recipe.get("eval_samples", WORLD_RECIPE["eval_samples"]))
    _, codes = draw(world.model, n, stream_seed(world.key, "eval"), features=True)
    info = world_info(world, codes, synthetic.synthetic_samples)
    return float(round(info["top_l0"])), info


def world_race(config: RaceConfig, echo=None) -> WorldRace:
    """Train the runs the store lacks, then measure each entry against the baseline's end."""
    k, info = world_k(config, echo)
    if echo is not None:
        echo(
            f"{info['synthetic']}: {info['num_features']:,} features in {info['hidden_dim']} "
            f"dimensions, L0 {info['true_l0']:.1f}; width {info['default_dict_size']:,}, whose "
            f"features' L0 {info['top_l0']:.2f} gives k {k:g}"
        )
    by_place, summary = trained_runs(config, config.spec(k), echo)
    runs = {
        entry: by_place[f"synthetic:{config.synthetic}", entry] for entry in config.entry_list()
    }
    baseline = runs[config.pair()[0]]
    targets = {m: statistics.median(run["history"][-1][m] for run in baseline) for m in TARGETS}
    numbers = {entry: entry_numbers(found, targets) for entry, found in runs.items()}
    return WorldRace(config, info, k, targets, numbers, runs, summary.finished, summary.skipped)


def entry_numbers(runs: list[dict], targets: dict[str, float]) -> WorldEntry:
    """An entry's medians over its seeds, and when it reached each target."""

    def median_row(index: int) -> dict[str, float]:
        rows = [run["history"][index] for run in runs]
        return {m: statistics.median(row[m] for row in rows) for m in METRICS}

    return WorldEntry(
        median_row(0),
        median_row(-1),
        statistics.median(run["init_seconds"] for run in runs),
        statistics.median(init_samples(run) for run in runs),
        {m: reach(runs, m, target) for m, target in targets.items()},
    )


def init_samples(run: dict) -> int:
    return run["result"].get("init_samples", 0)


def reach(runs: list[dict], metric: str, target: float) -> Reach:
    """The first history row of each run at or above `target`, as medians over the runs."""
    firsts = [next((r for r in run["history"] if r[metric] >= target), None) for run in runs]
    samples = [
        None if row is None else row["samples"] + init_samples(run)
        for row, run in zip(firsts, runs, strict=True)
    ]
    seconds = [
        None if row is None else row["seconds"] + run["init_seconds"]
        for row, run in zip(firsts, runs, strict=True)
    ]
    reached = sum(row is not None for row in firsts)
    return Reach(median_or_none(samples), median_or_none(seconds), reached)
