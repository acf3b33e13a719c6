"""The race on a synthetic world: SAELens' default SAE against the best informed init under
SynthSAEBench's recipe, every run trained through `sweep` into the race's store. Each seed's
targets are the same seed's baseline run's MCC and F1 at the end of its budget, so that every
comparison is side by side; each entry's samples to a target count the init's own samples,
and its seconds the init's."""

from __future__ import annotations

import statistics
from dataclasses import fields
from typing import NamedTuple

from saeinit.data.synthetic import SyntheticConfig, load_world, sample_pool
from saeinit.data.synthetic.pool import draw, stream_seed
from saeinit.data.synthetic.source import world_info
from saeinit.experiments.race import init_samples, median_or_none, trained_runs
from saeinit.experiments.race_config import WORLD_RECIPE, RaceConfig
from saeinit.metrics.synthetic import METRICS

TARGETS = ("mcc", "f1")
"""The metrics whose baseline end-of-budget values the entries race to."""


class Crossing(NamedTuple):
    """Where one run first reached its target: samples with the init's own, seconds with the
    init's."""

    samples: float
    seconds: float


class Reach(NamedTuple):
    """When an entry first reached its targets (medians over seeds, None: at most half did);
    `reached` counts the seeds, and `by_seed` holds each seed's crossing, None where it never
    reached its target."""

    samples: float | None
    seconds: float | None
    reached: int
    by_seed: dict[int, Crossing | None]


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
    targets: dict[str, dict[int, float]]
    """Per metric and seed: that seed's baseline run's value at the end of its budget."""
    numbers: dict[str, WorldEntry]
    runs: dict[str, list[dict]]
    computed: int
    stored: int
    collapsed: list[str]
    """One line per run that ended collapsed (its numbers are in the table all the same)."""


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
    targets = {m: {run["seed"]: run["history"][-1][m] for run in baseline} for m in TARGETS}
    numbers = {entry: entry_numbers(found, targets) for entry, found in runs.items()}
    return WorldRace(
        config,
        info,
        k,
        targets,
        numbers,
        runs,
        summary.finished,
        summary.skipped,
        summary.collapsed,
    )


def entry_numbers(runs: list[dict], targets: dict[str, dict[int, float]]) -> WorldEntry:
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


def reach(runs: list[dict], metric: str, targets: dict[int, float]) -> Reach:
    """The first history row of each run at or above its seed's target, as medians over the
    runs and seed by seed."""
    by_seed = {}
    for run in runs:
        target = targets[run["seed"]]
        row = next((r for r in run["history"] if r[metric] >= target), None)
        crossing = None
        if row is not None:
            crossing = Crossing(
                row["samples"] + init_samples(run), row["seconds"] + run["init_seconds"]
            )
        by_seed[run["seed"]] = crossing
    found = list(by_seed.values())
    samples = median_or_none([None if f is None else f.samples for f in found])
    seconds = median_or_none([None if f is None else f.seconds for f in found])
    return Reach(samples, seconds, sum(f is not None for f in found), by_seed)


def seed_ratios(baseline: Reach, best: Reach, part: str) -> dict[int, float | None]:
    """Per seed both ran: the baseline's `part` (samples or seconds) to the target over the
    best entry's, None where the best entry never reached it (the baseline reaches its own
    end at the latest); inf where only the best entry starts at or above it, 1 where both
    do."""
    ratios = {}
    for seed, slow in baseline.by_seed.items():
        if seed not in best.by_seed or slow is None:
            continue
        fast = best.by_seed[seed]
        ratios[seed] = None if fast is None else _quotient(getattr(slow, part), getattr(fast, part))
    return ratios


def _quotient(slow: float, fast: float) -> float:
    if fast == 0:
        return 1.0 if slow == 0 else float("inf")
    return slow / fast
