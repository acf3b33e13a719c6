"""Retention: how much of a perfect start each training recipe keeps (issue 12, item 4).

Every run starts from the oracle init (the ground-truth features plus a little noise, the
fitted encoder or --encoder-init's) and trains on fresh toy batches for one budget of samples; the tables give
live MMCS (a feature counts only through a latent that fires on it) at fixed steps, and the
dead latents and L0 at the end. Runs go through the resumable result store, so an interrupted
benchmark picks up where it stopped.

With several seeds (each seeds the toy data and the training), every cell gives the median
and [min, max] over the seeds in the store, and the last lines the best recipe by median.

    python benchmarks/retention.py [--quick] [--scenarios 128x512 128x1024]
                                   [--recipes reference topk+auxk] [--seeds 0 1 2 3 4]
                                   [--store retention.sqlite] [--workers N]
"""

from __future__ import annotations

import argparse
import statistics
from typing import NamedTuple

from saeinit.cpu import allowed_cores
from saeinit.experiments.grid import GridSpec, grid_from_dict
from saeinit.experiments.race_config import L1
from saeinit.experiments.store import ResultStore
from saeinit.experiments.sweep import sweep
from saeinit.inits.encoders import ENCODER_INITS
from saeinit.training.settings import config_from_settings, run_key

SCENARIOS = ("128x256", "128x512", "128x1024")
FULL_SAMPLES, QUICK_SAMPLES = 5_120_000, 256_000
"""Samples per run: the issue's budget (20,000 steps of 256), and --quick's (1,000 steps)."""
CHECKPOINTS = (0, 500, 2_000, 5_000, 10_000, 20_000)
"""Steps at which live MMCS is printed (those within a run's budget)."""
BATCH, LARGE_BATCH, K = 256, 1024, 6
"""The reference batch, the larger one, and the sparsity of the TopK recipes (the toy data has
5 active features per sample on average)."""
WARMUP_FRACTION, DECAY_FRACTION, DECODER_LR_SCALE = 0.05, 0.2, 0.1
START = {
    "init": "oracle",
    "oracle_noise": 0.02,
    "encoder_init": "fitted",
    "target_mmcs": 1.0,  # never stop early: the whole budget is the measurement
    "eval_every": 100,
    "log_every": 500,
}


RECIPES = (
    "reference",
    "topk",
    "topk+auxk",
    "jumprelu",
    "batchtopk",
    "schedules",
    "slow-decoder",
    "slow-decoder+schedules",
    "batch-1024",
)


class Knobs(NamedTuple):
    """The recipes' constants a run may change (each default is the recipe as first measured,
    so the default runs keep their store keys)."""

    l1: float | None = None
    """L1 of the ReLU recipes (None: the race's L1 for the scenario)."""
    decoder_lr_scale: float = DECODER_LR_SCALE
    l1_warmup_fraction: float = WARMUP_FRACTION
    batch: int = BATCH
    """The batch of every recipe but batch-1024 (the steps are the budget over it)."""
    encoder_init: str = "fitted"
    """How the oracle start's encoder starts (--encoder-init)."""


DEFAULTS = Knobs()


def recipe(name: str, scenario: str, steps: int, knobs: Knobs = DEFAULTS) -> dict:
    """A recipe's settings beyond START. reference: the seed's ReLU + L1 SAE at the L1 of
    `knobs`; schedules: it with Anthropic's 2024 update (warm-ups over the first 5% of the
    steps, or the L1's over `knobs.l1_warmup_fraction`, and learning-rate decay over the last
    20%); slow-decoder: it with the decoder at `knobs.decoder_lr_scale` of the rate;
    slow-decoder+schedules: both; batch-1024: it with batches four times larger (the same
    samples)."""
    l1 = L1.get(scenario, 0.3) if knobs.l1 is None else knobs.l1
    relu = {"architecture": "relu", "l1": l1}
    ramps = {"lr_warmup_steps": round(WARMUP_FRACTION * steps)}
    ramps |= {"l1_warmup_steps": round(knobs.l1_warmup_fraction * steps)}
    ramps |= {"lr_decay_fraction": DECAY_FRACTION}
    slow = {"decoder_lr_scale": knobs.decoder_lr_scale}
    return {
        "reference": relu,
        "topk": {"architecture": "topk", "k": K},
        "topk+auxk": {"architecture": "topk", "k": K, "auxk": True},
        "jumprelu": {"architecture": "jumprelu"},
        "batchtopk": {"architecture": "batchtopk", "batchtopk_k": float(K)},
        "schedules": relu | ramps,
        "slow-decoder": relu | slow,
        "slow-decoder+schedules": relu | slow | ramps,
        "batch-1024": relu | {"batch_size": LARGE_BATCH},
    }[name]


class Cell(NamedTuple):
    scenario: str
    recipe: str
    settings: dict
    """The run's flat settings (START, the recipe's, the scenario, the budget and the seed)."""
    key: str
    seed: int = 0


def cells(
    scenarios: list[str],
    recipes: list[str],
    samples: int,
    knobs: Knobs = DEFAULTS,
    seeds: tuple[int, ...] = (0,),
) -> list[Cell]:
    """One run per scenario, recipe and seed, its steps the budget over its batch size. The
    seed is a setting, so it is part of the store key (seed 0, the default, adds nothing to
    it: runs stored before seeds were an option keep their keys)."""
    out = []
    for scenario in scenarios:
        for name in recipes:
            batch = LARGE_BATCH if name == "batch-1024" else knobs.batch
            steps = samples // batch
            for seed in seeds:
                settings = START | {"scenario": scenario, "max_steps": steps, "seed": seed}
                settings |= recipe(name, scenario, steps, knobs)
                settings["encoder_init"] = knobs.encoder_init
                if batch != BATCH:
                    settings["batch_size"] = batch
                key = run_key(config_from_settings(settings))
                out.append(Cell(scenario, name, settings, key, seed))
    return out


def spec(runs: list[Cell], samples: int) -> GridSpec:
    seeds = ", ".join(str(seed) for seed in sorted({cell.seed for cell in runs}))
    encoders = ", ".join(sorted({cell.settings["encoder_init"] for cell in runs}))
    note = f"Oracle start, {encoders} encoder, {samples:,} samples per run, seeds {seeds}."
    axes = [{name: [value] for name, value in cell.settings.items()} for cell in runs]
    return grid_from_dict({"title": "Retention from the oracle start", "note": note, "axes": axes})


def groups(runs: list[Cell], scenario: str) -> dict[str, list[Cell]]:
    """The scenario's runs by recipe, in the order given (one per seed)."""
    out: dict[str, list[Cell]] = {}
    for cell in runs:
        if cell.scenario == scenario:
            out.setdefault(cell.recipe, []).append(cell)
    return out


def table(store: ResultStore, runs: list[Cell], scenario: str) -> list[str]:
    """The scenario's rows, one per recipe over the seeds it has in the store: live MMCS at
    each checkpoint within budget, its lowest after step 0 (on the history rows), then at the
    end of the budget live MMCS, MMCS, L0 and dead latents (on the held-out sample). Each is
    the median and [min, max] over those seeds (one seed: its value)."""
    ends = ["end step", "lowest live", "live MMCS", "MMCS", "L0", "dead"]
    header = ["recipe", "seeds", *(f"@{step:,}" for step in CHECKPOINTS), *ends]
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for name, group in groups(runs, scenario).items():
        stored = [(cell.seed, store.history(cell.key)) for cell in group]
        histories = [history for _, history in stored if history]
        if not histories:
            lines.append(" | ".join([name, "-", "not run", *[""] * (len(header) - 3)]))
            continue
        row = [name, ",".join(str(seed) for seed, history in stored if history)]
        for step in CHECKPOINTS:
            values = [r["live_mmcs"] for h in histories for r in h if r["step"] == step]
            row.append(spread(values) if len(values) == len(histories) else "-")
        lowest = [min(r["live_mmcs"] for r in h[1:] or h) for h in histories]
        row += [f"{histories[0][-1]['step']:,}", spread(lowest)]
        for column, digits in (("live_mmcs", 4), ("mmcs", 4), ("l0", 1), ("dead", 0)):
            row.append(spread([h[-1][column] for h in histories], digits))
        lines.append(" | ".join(row))
    return lines


def spread(values: list[float], digits: int = 4) -> str:
    """The median and [min, max] of the values (one value: itself)."""
    median = f"{statistics.median(values):.{digits}f}"
    if len(values) == 1:
        return median
    return f"{median} [{min(values):.{digits}f}, {max(values):.{digits}f}]"


def best(store: ResultStore, runs: list[Cell], scenario: str) -> str:
    """The recipe with the highest median live MMCS at the end of its budget over the seeds
    it has in the store, and the median it started from."""
    medians = []
    for name, group in groups(runs, scenario).items():
        histories = [h for h in (store.history(cell.key) for cell in group) if h]
        if histories:
            end = statistics.median(h[-1]["live_mmcs"] for h in histories)
            start = statistics.median(h[0]["live_mmcs"] for h in histories)
            medians.append((end, start, len(histories), name))
    if not medians:
        return f"{scenario}: nothing run yet"
    end, start, count, recipe = max(medians)
    seeds = "1 seed" if count == 1 else f"median of {count} seeds"
    return f"{scenario}: {recipe} keeps live MMCS {end:.4f} (from {start:.4f} at step 0; {seeds})"


def describe(knobs: Knobs) -> str:
    """The constants of the recipes that differ from their defaults, or that none do."""
    changed = [
        f"{name} {value:g}" if isinstance(value, float | int) else f"{name} {value}"
        for name, value in knobs._asdict().items()
        if name != "l1" and value != getattr(DEFAULTS, name)
    ]
    return "recipes' constants: " + (", ".join(changed) if changed else "the defaults")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SAMPLES:,} samples a run")
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="default: 0")
    parser.add_argument("--l1", type=float, help="L1 of the ReLU recipes (default: the race's)")
    parser.add_argument(
        "--decoder-lr-scale", type=float, default=DECODER_LR_SCALE, help="the slow decoder's"
    )
    parser.add_argument(
        "--l1-warmup-fraction",
        type=float,
        default=WARMUP_FRACTION,
        help="of the steps, the schedules' L1 warm-up (the learning rate's stays 5%%)",
    )
    parser.add_argument(
        "--batch", type=int, default=BATCH, help="every recipe's but batch-1024 (same samples)"
    )
    parser.add_argument(
        "--encoder-init",
        default="fitted",
        choices=list(ENCODER_INITS),
        help="the oracle start's (default: fitted)",
    )
    parser.add_argument("--store", default="retention.sqlite", help="result store (resumed)")
    parser.add_argument("--report-only", action="store_true", help="print the store, run nothing")
    parser.add_argument("--workers", type=int, default=allowed_cores(), help="default: cores")
    args = parser.parse_args(argv)
    samples = QUICK_SAMPLES if args.quick else FULL_SAMPLES
    knobs = Knobs(
        args.l1, args.decoder_lr_scale, args.l1_warmup_fraction, args.batch, args.encoder_init
    )
    runs = cells(args.scenarios, args.recipes, samples, knobs, tuple(args.seeds))
    with ResultStore(args.store) as store:
        if not args.report_only:
            summary = sweep(spec(runs, samples), store, workers=args.workers)
            print(*(f"failed: {failure}" for failure in summary.failed), sep="\n")
        l1 = "the race's (0.1 at 128x256, else 0.3)" if args.l1 is None else f"{args.l1:g}"
        print(f"{samples:,} samples per run (steps x batch); ReLU recipes' L1: {l1}")
        print(describe(knobs))
        for scenario in args.scenarios:
            print(f"\n{scenario}", *table(store, runs, scenario), sep="\n")
        print("\nbest recipe per scenario (live MMCS at the end of the budget):")
        for scenario in args.scenarios:
            print(best(store, runs, scenario))


if __name__ == "__main__":
    main()
