"""Informed init for SAEs as wide as researchers train them, inside SAELens' and sparsify's
trainers, on MiniLM activations (issue 27).

    python benchmarks/wide_sae.py [--widths 3072 6144] [--trainers batchtopk jumprelu
        matryoshka sparsify] [--seeds 0] [--tokens 4000000] [--init-rows 32768] [--eval-every
        25] [--out runs/wide/runs] [--figures DIR] [--quick] (more: --help)

For every width, seed and trainer, the trainer trains from its library's default init
(`default`) and from saeinit's (`saeinit`: `initial_weights(sample, width, init, encoder_init,
b_dec="geometric_median", seed)` on `--init-rows` rows of the training part of the collection,
the seed's init stream, written in with `fill_saelens` / `fill_sparsify`):

* batchtopk: SAELens' SAETrainer, BatchTopKTrainingSAE (k = --k); saeinit's atoms refitted
  and its encoder at the gain as sparsify's (below), for the batch's top k x batch;
* jumprelu: SAELens' SAETrainer, JumpReLUTrainingSAE (SAELens' defaults, L0 coefficient 1,
  but for the initial threshold, which in both arms starts where the init's sample fires k
  latents per token: SAELens' 0.01 keeps the default dense for a short budget, so no L0
  would match; the default's calibration is charged its sample and seconds as the init's
  are). saeinit's arm also has its encoder at its least-squares gain (`jumprelu_start`); the
  L0 is then free, so a crossing also asks for L0 at or below the default's final L0;
* matryoshka: SAELens' SAETrainer, MatryoshkaBatchTopKTrainingSAE (k = --k, groups of 1/8,
  1/4, 1/2 and all of the width); saeinit's latents are put most used first on the init's
  sample (`ordered_by_use`), since each group reconstructs alone, then refitted and at the
  gain as BatchTopK's;
* sparsify: sparsify's Trainer, its TopK SparseCoder (k = --k); with --topk-min-rows M, first,
  latents the top k picks on fewer than M rows get the bias to be picked on M (`topk_start`: a
  latent never picked never trains); then saeinit's atoms are refitted to the codes the
  per-token top k gives the init's sample (`topk_atoms`: a latent whose firings raise the
  error is pushed out for good), and its encoder is at their least-squares gain
  (`topk_gain`: the fitted read-out shrinks its codes).

Both arms of a seed see the same batches in the same order, the same held-out tokens and the
same inputs scaling (other_trainers' plumbing, wide_sae_train.py). Each trainer's start is
built once per width and seed and kept in --out (wide_sae_start.py); every informed arm is
charged its seconds and its sample's rows as tokens. Runs go one at a time, one torch thread.
The table (wide_sae_report.py): per trainer, width and arm, FVU at the start and end, L0, dead
latents, and the tokens and seconds (init included) at which saeinit's run first reaches the
default's end-of-budget FVU. `--quick`: widths 48, 96, k 8, 256-token batches, 8,192 tokens.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from wide_sae_settings import bad_init_options, setting, unknown_settings

TRAINERS = ("batchtopk", "jumprelu", "matryoshka", "sparsify")
STARTS = ("default", "saeinit")


@dataclass(frozen=True)
class Task:
    """One training run: a trainer from one start, at one width, with one seed."""

    trainer: str
    start: str
    width: int
    seed: int
    tokens: int
    activations: str
    batch: int = 4096
    k: int = 32
    eval_every: int = 25
    eval_samples: int = 4096
    stats_samples: int = 8192
    init: str = "mod"
    encoder_init: str = "fitted"
    init_rows: int = 32768
    buffer_size: int = 65536
    sparsify_optimizer: str = "adam"
    saelens_config: tuple = ()
    sparsify_config: tuple = ()
    topk_min_rows: int = 0
    init_options: tuple = ()

    @property
    def draws_init_sample(self) -> bool:
        """Whether the run starts from the init's sample: saeinit's arms, and the JumpReLU
        default's threshold (set there too); it is charged the sample's rows as tokens."""
        return self.start == "saeinit" or self.trainer == "jumprelu"

    @property
    def steps(self) -> int:
        return self.tokens // self.batch

    def name(self) -> str:
        return f"{self.trainer}-{self.start}-w{self.width}-seed{self.seed}"

    def path(self, out: Path) -> Path:
        return out / f"{self.name()}.json"

    def activations_path(self) -> Path:
        return Path(self.activations)

    def init_key(self) -> str:
        lift = f"-rows{self.topk_min_rows}" if self.topk_min_rows else ""
        adapted = {"matryoshka": f"-by-use-k{self.k}-atoms-gain", "batchtopk": "-atoms-gain"}
        adapted |= {"jumprelu": f"-thresholds-l0-{self.k}"}
        adapted |= {"sparsify": f"-topk-k{self.k}{lift}-atoms-gain"}
        options = "".join(f"-{name}{value}" for name, value in self.init_options)
        base = f"init-w{self.width}-seed{self.seed}-{self.init}{options}-{self.encoder_init}"
        return f"{base}-{self.init_rows}{adapted.get(self.trainer, '')}"


def run_task(task: Task, out: Path) -> dict:
    """Train one task in this process and write its JSON atomically; returns its result."""
    import functools

    import torch
    from wide_sae_start import informed_weights
    from wide_sae_train import COLUMNS, train_saelens, train_sparsify

    from saeinit.data.activations import ActivationsConfig, activation_source
    from saeinit.models.preprocess import norm_scaling_factor

    torch.set_num_threads(1)
    config = ActivationsConfig(activations=task.activations, buffer_size=task.buffer_size)
    source = activation_source(config, task.batch, task.seed, task.eval_samples)
    factor = norm_scaling_factor(source.stats(task.stats_samples).float())

    def weights_for(task):
        return informed_weights(task, source, factor, out)

    if task.trainer == "sparsify":
        train = functools.partial(train_sparsify, checkpoints=out / "sparsify-checkpoints")
    else:
        train = train_saelens
    result = train(task, source, factor, weights_for)
    init_tokens = task.init_rows if task.draws_init_sample else 0
    result = asdict(task) | result | {"init_tokens": init_tokens, "columns": COLUMNS}
    result |= {"scaling_factor": factor, "train_tokens": source.info["train_tokens"]}
    path = task.path(out)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(result))
    scratch.replace(path)
    return result


def tasks(args: argparse.Namespace) -> list[Task]:
    """Every (width, seed, trainer, start), the two starts of a trainer next to each other."""
    common = dict(
        tokens=args.tokens,
        activations=str(args.activations),
        batch=args.batch,
        k=args.k,
        eval_every=args.eval_every,
        eval_samples=args.eval_samples,
        init=args.init,
        encoder_init=args.encoder_init,
        init_rows=args.init_rows,
        sparsify_optimizer=args.sparsify_optimizer,
        saelens_config=args.saelens_config,
        sparsify_config=args.sparsify_config,
        topk_min_rows=args.topk_min_rows,
        init_options=args.init_options,
    )
    merged = dict(args.saelens_config) | dict(args.informed_saelens_config)
    informed = {"saelens_config": tuple(merged.items())}  # the informed arm's settings win
    return [
        Task(trainer, start, width, seed, **(common | (informed if start == "saeinit" else {})))
        for width in args.widths
        for seed in args.seeds
        for trainer in args.trainers
        for start in STARTS
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activations", type=Path, default=Path("runs/wide/minilm-L2"))
    parser.add_argument("--widths", type=int, nargs="+", default=[3072, 6144])
    parser.add_argument("--trainers", nargs="+", choices=TRAINERS, default=list(TRAINERS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--tokens", type=int, default=4_000_000, help="training tokens per run")
    parser.add_argument("--batch", type=int, default=4096, help="tokens per step")
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--eval-every", type=int, default=25, help="steps between evaluations")
    parser.add_argument("--eval-samples", type=int, default=4096, help="held-out tokens")
    parser.add_argument("--init", default="mod", help="saeinit's init (saeinit inits)")
    parser.add_argument("--encoder-init", default="fitted")
    parser.add_argument("--init-rows", type=int, default=32768, help="the init's sample")
    parser.add_argument("--sparsify-optimizer", choices=("adam", "signum"), default="adam")
    settings = {
        "saelens-config": "SAELens' training SAE's config fields changed, in both arms",
        "sparsify-config": "sparsify's TrainConfig fields changed from their defaults, both arms",
        "informed-saelens-config": "SAELens' config for saeinit's arm alone, after the above",
        "init-options": "saeinit's init options, InitConfig's fields (thin_cosine=0.7)",
    }
    for option, text in settings.items():
        parser.add_argument(
            f"--{option}", nargs="+", type=setting, default=(), metavar="NAME=VALUE", help=text
        )
    parser.add_argument(
        "--topk-min-rows",
        type=int,
        default=0,
        help="sparsify's informed arm: topk_start's min_rows (0: off)",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/wide/runs"))
    parser.add_argument("--figures", type=Path, default=None, help="folder for the figures")
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run")
    args = parser.parse_args(argv)
    for name in ("saelens_config", "sparsify_config", "informed_saelens_config", "init_options"):
        setattr(args, name, tuple(getattr(args, name)))
    for problem in (unknown_settings(args) or bad_init_options(args))[:1]:
        parser.error(problem)
    if args.quick:
        args.widths, args.k, args.batch, args.tokens = [48, 96], 8, 256, 8192
        args.init_rows, args.eval_every, args.eval_samples = 1024, 8, 512
    return args


def main(argv: list[str] | None = None) -> list[dict]:
    """Run the unfinished tasks, print the table, write the figures; returns the results."""
    from wide_sae_report import summary_lines, write_figures

    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TQDM_DISABLE", "1")
    results = []
    for task in tasks(args):
        path = task.path(args.out)
        if path.exists():
            results.append(json.loads(path.read_text()))
            continue
        result = run_task(task, args.out)
        final = result["final"]
        print(
            f"{task.name()}: FVU {final['fvu']:.3f} L0 {final['l0']:.1f} dead {final['dead']} "
            f"init {result['init_seconds']:.1f}s train {result['train_seconds']:.1f}s",
            flush=True,
        )
        results.append(result)
    print("\n".join(summary_lines(results)))
    if args.figures is not None:
        for path in write_figures(results, args.figures):
            print(f"wrote {path}")
    return results


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    main()
