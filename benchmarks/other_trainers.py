"""Other libraries' trainers from their own default init and from saeinit's (issue 13, item 5).

    python benchmarks/other_trainers.py [--layers 2 4] [--seeds 0 1 2] [--steps 2000]
        [--arms saelens mod sparsify sparsify-mod] [--l1 2.5] [--target-fvu 0.3] [--jobs 2]
        [--encoder-init fitted] [--quick] [--out runs/other-trainers]
        [--figures docs/real-activations]

For every layer and seed, a trainer trains an SAE with `--dict-size` latents on the
activations `saeinit collect` stored in `--activations-pattern` (runs/minilm-L{layer}), from
two starts. SAELens' `SAETrainer` trains a standard (ReLU + L1) SAE:

* saelens: SAELens' own init (kaiming rows scaled to norm 0.1, W_enc = W_dec^T, zero biases),
  under torch.manual_seed(seed);
* mod: `saeinit.initial_weights(sample, dict_size, init="mod", encoder_init="fitted",
  b_dec="geometric_median", seed=seed)` (`--encoder-init` another encoder) on rows of the
  training part of the collection (the seed's init stream), written into the same SAELens SAE
  by `fill_saelens`. Its seconds (the draw of the sample included) are the arm's init seconds.

sparsify's `Trainer` trains its TopK SparseCoder from its own init (`sparsify`) and from the
same saeinit weights (`sparsify-mod`); see other_trainers_sparsify.py for how it is fed.

Both arms of a seed see the same things: the seed's stream of training batches
(`activation_source`, a shuffling buffer), the same inputs scaling (sqrt(d) / mean norm of the
seed's statistics sample, SAELens' expected_average_only_in, applied to the batches before the
trainer sees them; SAELens' own normalisation is off so that it does not draw 1,000 batches to
estimate it) and the same trainer settings: SAETrainerConfig's defaults (Adam, lr 3e-4,
constant schedule, no warm-up, gradient clipping at norm 1) except the budget, the batch size
and lr_end (SAELens' runner sets lr / 10; a constant schedule ignores it), and
StandardTrainingSAEConfig's defaults except the sizes and `--l1` (its l1_coefficient).

The trainer pulls its batches from `EvaluatedBatches` (other_trainers_saelens.py), which
before every `--eval-every`-th batch measures FVU and L0 of the trainer's SAE on the held-out
tokens (the collection's last `eval_samples`) under no_grad, with its own time off the
training clock. Each run is a JSON
file in `--out` (a rerun skips finished runs); runs go `--jobs` at a time, one torch thread
each, the arms of a seed next to each other in the queue so that load hits both alike. The
summary (steps and seconds to the target FVU, init included, medians over seeds, ratios) is
printed and the figures written by other_trainers_report.py.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

ARMS = ("saelens", "mod", "sparsify", "sparsify-mod")
"""SAELens' trainer from its own init and from saeinit's; sparsify's Trainer likewise
(other_trainers_sparsify.py)."""


@dataclass(frozen=True)
class Task:
    """One training run: an arm on one layer's activations with one seed."""

    layer: int
    arm: str
    seed: int
    steps: int
    l1: float
    activations: str
    dict_size: int = 768
    batch_size: int = 256
    eval_every: int = 25
    eval_samples: int = 2048
    stats_samples: int = 8192
    init_rows: int = 65536
    sparsify_optimizer: str = "adam"
    encoder_init: str = "fitted"

    def path(self, out: Path) -> Path:
        return out / f"L{self.layer}-{self.arm}-seed{self.seed}.json"


def train_arm(task: Task, out: Path) -> dict:
    """Run one task in this process (one torch thread) and return its result."""
    weights_for = functools.partial(informed_weights, cache=out)
    if task.arm.startswith("sparsify"):
        from other_trainers_sparsify import train_sparsify

        result = train_sparsify(task, weights_for, out / "sparsify-checkpoints")
    else:
        from other_trainers_saelens import train_saelens

        result = train_saelens(task, weights_for)
    return asdict(task) | result | {"columns": ["step", "train_seconds", "fvu", "l0"]}


def informed_weights(task: Task, source, factor: float, cache: Path):
    """saeinit's mod + --encoder-init weights on a sample of the seed's training rows (scaled
    as the batches are), and their seconds, the draw of the sample included. Kept in `cache`
    so that the SAELens and sparsify arms of a seed start from the same weights, each charged
    the seconds it took to build them once."""
    import torch

    from saeinit import InitialWeights, initial_weights

    encoder = "" if task.encoder_init == "fitted" else f"-{task.encoder_init}"
    path = cache / f"init-L{task.layer}-seed{task.seed}{encoder}.pt"
    if path.exists():
        saved = torch.load(path)
        return InitialWeights(**saved["weights"]), saved["seconds"]
    start = time.perf_counter()
    sample = source.draw(task.init_rows) * factor
    weights = initial_weights(
        sample,
        task.dict_size,
        init="mod",
        encoder_init=task.encoder_init,
        b_dec="geometric_median",
        seed=task.seed,
    )
    seconds = time.perf_counter() - start
    scratch = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save({"weights": weights._asdict(), "seconds": seconds}, scratch)
    scratch.replace(path)
    return weights, seconds


def run_task(task: Task, out: Path) -> str:
    """Train one task and write its JSON atomically; returns a one-line summary."""
    result = train_arm(task, out)
    path = task.path(out)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(result))
    scratch.replace(path)
    final = result["final"]
    return (
        f"L{task.layer} {task.arm:7s} seed {task.seed}: FVU {final['fvu']:.3f} L0 "
        f"{final['l0']:.1f} dead {final['dead']} init {result['init_seconds']:.1f}s "
        f"train {result['train_seconds']:.1f}s"
    )


def tasks(args: argparse.Namespace) -> list[Task]:
    """Every (layer, seed, arm), the arms of a seed next to each other."""
    return [
        Task(
            layer,
            arm,
            seed,
            args.steps,
            args.l1,
            args.activations_pattern.format(layer=layer),
            dict_size=args.dict_size,
            eval_every=args.eval_every,
            sparsify_optimizer=args.sparsify_optimizer,
            encoder_init=args.encoder_init,
        )
        for layer in args.layers
        for seed in args.seeds
        for arm in args.arms
    ]


def run_all(todo: list[Task], out: Path, jobs: int) -> None:
    """Run the unfinished tasks `jobs` at a time, each in a fresh process."""
    os.environ.setdefault("TQDM_DISABLE", "1")  # SAETrainer's progress bar, in the workers
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        for line in pool.map(run_task, todo, [out] * len(todo)):
            print(line, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=2000, help="trainer steps per run")
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    parser.add_argument("--l1", type=float, default=2.5, help="SAELens' l1_coefficient")
    parser.add_argument("--dict-size", type=int, default=768)
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--target-fvu", type=float, default=0.3)
    parser.add_argument(
        "--sparsify-optimizer",
        choices=("adam", "signum", "muon"),
        default="adam",
        help="sparsify's optimizer (its default, signum, is built for far larger batches)",
    )
    parser.add_argument(
        "--encoder-init",
        choices=("fitted", "whitened", "tied"),
        default="fitted",
        help="the encoder of saeinit's arms (default: fitted)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time")
    parser.add_argument("--activations-pattern", default="runs/minilm-L{layer}")
    parser.add_argument("--out", type=Path, default=Path("runs/other-trainers"))
    parser.add_argument(
        "--figures", type=Path, default=None, help="folder for the figures (none: no figures)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="layer 2, seed 0, 100 steps: a smoke test"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.layers, args.seeds, args.steps = [2], [0], 100
    return args


def main(argv: list[str] | None = None) -> None:
    from other_trainers_report import fvu_along_lines, load_results, summary_lines, write_figures

    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    everything = tasks(args)
    run_all([task for task in everything if not task.path(args.out).exists()], args.out, args.jobs)
    results = load_results([task.path(args.out) for task in everything])
    print("\n".join(summary_lines(results, args.target_fvu)))
    print("Median FVU over seeds at these steps:\n")
    print("\n".join(fvu_along_lines(results)))
    if args.figures is not None:
        for path in write_figures(results, args.figures, args.target_fvu):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
