"""Retention: how much of a perfect start each training recipe keeps (issue 12, item 4).

Every run starts from the oracle init (the ground-truth features plus a little noise, the
fitted encoder) and trains on fresh toy batches for one budget of samples; the tables give
live MMCS (a feature counts only through a latent that fires on it) at fixed steps, and the
dead latents and L0 at the end. Runs go through the resumable result store, so an interrupted
benchmark picks up where it stopped.

    python benchmarks/retention.py [--quick] [--scenarios 128x512 128x1024]
                                   [--recipes reference topk+auxk] [--store retention.sqlite]
                                   [--workers N]
"""

from __future__ import annotations

import argparse
from typing import NamedTuple

from saeinit.cpu import allowed_cores
from saeinit.experiments.grid import GridSpec, grid_from_dict
from saeinit.experiments.race_config import L1
from saeinit.experiments.store import ResultStore
from saeinit.experiments.sweep import sweep
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
    "seed": 0,
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


def recipe(name: str, scenario: str, steps: int, l1: float | None = None) -> dict:
    """A recipe's settings beyond START. reference: the seed's ReLU + L1 SAE at `l1` (unset:
    the race's L1 for the scenario); schedules: it with Anthropic's 2024 update (warm-ups over
    the first 5% of the steps, learning-rate decay over the last 20%); slow-decoder: it with
    the decoder at a tenth of the rate; slow-decoder+schedules: both; batch-1024: it with
    batches four times larger (the same samples)."""
    relu = {"architecture": "relu", "l1": L1.get(scenario, 0.3) if l1 is None else l1}
    warmup = round(WARMUP_FRACTION * steps)
    ramps = {"lr_warmup_steps": warmup, "l1_warmup_steps": warmup}
    ramps |= {"lr_decay_fraction": DECAY_FRACTION}
    slow = {"decoder_lr_scale": DECODER_LR_SCALE}
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
    """The run's flat settings (START, the recipe's, the scenario and the budget)."""
    key: str


def cells(scenarios: list[str], recipes: list[str], samples: int, l1=None) -> list[Cell]:
    """One run per scenario and recipe, its steps the budget over its batch size; `l1` for
    the ReLU recipes (unset: the race's)."""
    out = []
    for scenario in scenarios:
        for name in recipes:
            batch = LARGE_BATCH if name == "batch-1024" else BATCH
            steps = samples // batch
            settings = START | {"scenario": scenario, "max_steps": steps}
            settings |= recipe(name, scenario, steps, l1)
            out.append(Cell(scenario, name, settings, run_key(config_from_settings(settings))))
    return out


def spec(runs: list[Cell], samples: int) -> GridSpec:
    note = f"Oracle start, fitted encoder, {samples:,} samples per run, seed 0."
    axes = [{name: [value] for name, value in cell.settings.items()} for cell in runs]
    return grid_from_dict({"title": "Retention from the oracle start", "note": note, "axes": axes})


def table(store: ResultStore, runs: list[Cell], scenario: str) -> list[str]:
    """The scenario's rows: live MMCS at each checkpoint within budget, then at the end of the
    budget live MMCS, MMCS, L0 and dead latents (on the held-out sample)."""
    ends = ["end step", "live MMCS", "MMCS", "L0", "dead"]
    header = ["recipe", *(f"@{step:,}" for step in CHECKPOINTS), *ends]
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for cell in runs:
        if cell.scenario != scenario:
            continue
        history = store.history(cell.key)
        if not history:
            lines.append(" | ".join([cell.recipe, "not run", *[""] * (len(header) - 2)]))
            continue
        by_step = {row["step"]: row for row in history}
        live = [_number(by_step.get(step, {}).get("live_mmcs")) for step in CHECKPOINTS]
        end = history[-1]
        tail = [f"{end['step']:,}", *map(_number, (end["live_mmcs"], end["mmcs"]))]
        tail += [f"{end['l0']:.1f}", str(end["dead"])]
        lines.append(" | ".join([cell.recipe, *live, *tail]))
    return lines


def best(store: ResultStore, runs: list[Cell], scenario: str) -> str:
    """The recipe with the highest live MMCS at the end of its budget, and what it kept."""
    ends = []
    for cell in runs:
        history = store.history(cell.key) if cell.scenario == scenario else []
        if history:
            ends.append((history[-1]["live_mmcs"], history[0]["live_mmcs"], cell.recipe))
    if not ends:
        return f"{scenario}: nothing run yet"
    end, start, recipe = max(ends)
    return f"{scenario}: {recipe} keeps live MMCS {end:.4f} (from {start:.4f} at step 0)"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SAMPLES:,} samples a run")
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    parser.add_argument("--l1", type=float, help="L1 of the ReLU recipes (default: the race's)")
    parser.add_argument("--store", default="retention.sqlite", help="result store (resumed)")
    parser.add_argument("--report-only", action="store_true", help="print the store, run nothing")
    parser.add_argument("--workers", type=int, default=allowed_cores(), help="default: cores")
    args = parser.parse_args(argv)
    samples = QUICK_SAMPLES if args.quick else FULL_SAMPLES
    runs = cells(args.scenarios, args.recipes, samples, args.l1)
    with ResultStore(args.store) as store:
        if not args.report_only:
            summary = sweep(spec(runs, samples), store, workers=args.workers)
            print(*(f"failed: {failure}" for failure in summary.failed), sep="\n")
        l1 = "the race's (0.1 at 128x256, else 0.3)" if args.l1 is None else f"{args.l1:g}"
        print(f"{samples:,} samples per run (steps x batch); ReLU recipes' L1: {l1}")
        for scenario in args.scenarios:
            print(f"\n{scenario}", *table(store, runs, scenario), sep="\n")
        print("\nbest recipe per scenario (live MMCS at the end of the budget):")
        for scenario in args.scenarios:
            print(best(store, runs, scenario))


if __name__ == "__main__":
    main()
