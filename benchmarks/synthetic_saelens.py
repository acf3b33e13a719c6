"""Inside SAELens: its SyntheticSAERunner on a synthetic world, from its own default init and from
saeinit's (issue 26, item 6). The recipe a SAELens user follows:

    from sae_lens import BatchTopKTrainingSAE, BatchTopKTrainingSAEConfig
    from sae_lens.synthetic import SyntheticSAERunner, SyntheticSAERunnerConfig
    from saeinit import fill_saelens, initial_weights, ordered_by_use

    sae = BatchTopKTrainingSAE(BatchTopKTrainingSAEConfig(d_in=192, d_sae=1024, k=12))
    fill_saelens(sae, initial_weights(world.sample(65_536), 1024, init="mod", encoder_init="fitted"))
    SyntheticSAERunner(runner_config, override_synthetic_model=world, override_sae=sae).run()

    python benchmarks/synthetic_saelens.py [--synthetic synthsaebench-4k] [--architecture
        batchtopk|jumprelu|matryoshka] [--samples 1048576] [--points 8] [--seed 0]
        [--init mod --encoder-init fitted --init-samples 65536] [--workers 1|2] [--quick]
        [--json OUT]

Both arms train the same SAELens training SAE (width a quarter of the world's features, k the
L0 of those most frequent features for the TopK kinds) through SAELens' own runner: fresh
samples from the world's generator every step, SyntheticSAERunnerConfig's defaults (lr 3e-4,
constant schedule, batch 1,024) except the budget. The runner evaluates nothing between its
steps without wandb, so the curve comes from its checkpoints: at `--points` evenly spaced
checkpoints the SAE is measured by SAELens' `eval_sae_on_synthetic_data` on the held-out sample
saeinit's own runs use (`metrics/synthetic.py`), off the clock. The saeinit arm's samples count
the init's own, and its seconds the init's; the summary gives the samples and seconds at which
it reaches the default arm's final MCC and F1. With `--workers 2` the two arms run side by
side, one process (one thread) each, so that their seconds come under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SAELENS_NAMES = {
    "batchtopk": "batchtopk",
    "jumprelu": "jumprelu",
    "matryoshka": "matryoshka_batchtopk",
}
"""--architecture -> the architecture name in SAELens' registry."""
QUICK_WORLD = {"features": 256, "dim": 32, "roots": 4}
ARMS = ("default", "saeinit")


def training_sae(architecture: str, d_in: int, d_sae: int, k: float):
    """SAELens' training SAE of the architecture, its own defaults but for sizes and k."""
    from sae_lens.registry import get_sae_training_class

    from saeinit.models.options import matryoshka_levels

    sae_class, config_class = get_sae_training_class(SAELENS_NAMES[architecture])
    sizes = {"d_in": d_in, "d_sae": d_sae}
    if architecture == "matryoshka":
        sizes["matryoshka_widths"] = list(matryoshka_levels(None, d_sae))
    return sae_class(config_class(**sizes, **({} if architecture == "jumprelu" else {"k": k})))


def run_arm(args, world, held_out, k: float, arm: str) -> dict:
    """One arm through SyntheticSAERunner; its curve as rows of samples, seconds and metrics."""
    import torch
    from sae_lens import LoggingConfig
    from sae_lens.synthetic import SyntheticSAERunner, SyntheticSAERunnerConfig

    from saeinit import fill_saelens, initial_weights, ordered_by_use
    from saeinit.data.synthetic.pool import draw, stream_seed
    from saeinit.metrics.synthetic import synthetic_metrics

    torch.manual_seed(args.seed)
    d_sae = world.model.cfg.num_features // 4
    sae = training_sae(args.architecture, world.model.cfg.hidden_dim, d_sae, k)
    init_seconds, init_samples = 0.0, 0
    if arm == "saeinit":
        start = time.perf_counter()
        sample = draw(
            world.model, args.init_samples, stream_seed(world.key, "train", 10**6 + args.seed)
        )
        weights = initial_weights(
            sample, d_sae, args.init, args.encoder_init, seed=args.seed, progress=False
        )
        if args.architecture == "matryoshka":  # its first groups reconstruct alone
            weights = ordered_by_use(weights, sample, k)
        fill_saelens(sae, weights)
        init_seconds, init_samples = time.perf_counter() - start, args.init_samples
    rows, clock = [], {"start": time.perf_counter(), "off": 0.0}

    def measure(samples: int) -> None:
        stop = time.perf_counter()
        metrics = synthetic_metrics(sae, world.model.feature_dict, *held_out)
        trained = stop - clock["start"] - clock["off"] if samples else 0.0
        seconds = trained + init_seconds
        rows.append({"samples": samples + init_samples, "seconds": seconds, **metrics})
        clock["off"] += time.perf_counter() - stop

    class Runner(SyntheticSAERunner):
        def _save_checkpoint(self, checkpoint_path):  # named by the samples trained so far
            if checkpoint_path is not None:
                measure(int(Path(checkpoint_path).name))

    with tempfile.TemporaryDirectory() as folder:
        config = SyntheticSAERunnerConfig(
            synthetic_model=str(world.folder),
            sae=sae.cfg,
            training_samples=args.samples,
            n_checkpoints=args.points - 1,
            checkpoint_path=folder,
            output_path=None,
            run_final_eval=False,
            logger=LoggingConfig(log_to_wandb=False),
        )
        measure(0)
        clock["start"], clock["off"] = time.perf_counter(), 0.0
        Runner(config, override_synthetic_model=world.model, override_sae=sae).run()
        measure(args.samples)
    return {"arm": arm, "init_seconds": init_seconds, "init_samples": init_samples, "rows": rows}


def first_reach(rows: list[dict], metric: str, target: float) -> dict | None:
    return next((row for row in rows if row[metric] >= target), None)


def summary(arms: list[dict]) -> list[str]:
    """Each arm's curve, then when the saeinit arm reached the default arm's end."""
    lines = []
    for arm in arms:
        lines.append(
            f"{arm['arm']} (init {arm['init_seconds']:.1f} s, {arm['init_samples']:,} samples)"
        )
        lines.append(f"{'samples':>12} {'seconds':>9}  MCC    F1     EV     L0    dead")
        for r in arm["rows"]:
            lines.append(
                f"{r['samples']:>12,} {r['seconds']:>9.1f}  {r['mcc']:.3f}  {r['f1']:.3f}  "
                f"{r['explained_variance']:.3f}  {r['l0']:5.1f} {r['dead']:>5}"
            )
    default, ours = arms
    for metric in ("mcc", "f1"):
        end = default["rows"][-1]
        hit = first_reach(ours["rows"], metric, end[metric])
        when = (
            "not reached"
            if hit is None
            else (
                f"{hit['samples']:,} samples (default / saeinit: "
                f"{end['samples'] / max(hit['samples'], 1):.2f}x), {hit['seconds']:.1f} s "
                f"({end['seconds'] / max(hit['seconds'], 1e-9):.2f}x)"
            )
        )
        lines.append(f"saeinit to default's final {metric.upper()} {end[metric]:.3f}: {when}")
    return lines


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synthetic", default="synthsaebench-4k")
    parser.add_argument("--architecture", default="batchtopk", choices=list(SAELENS_NAMES))
    parser.add_argument("--samples", type=int, default=1_048_576)
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", default="mod")
    parser.add_argument("--encoder-init", default="fitted")
    parser.add_argument("--init-samples", type=int, default=65_536)
    parser.add_argument("--eval-samples", type=int, default=20_000)
    parser.add_argument("--cache", default=None, help="saeinit's world cache (--synthetic-cache)")
    parser.add_argument("--quick", action="store_true", help="a tiny world, a few thousand samples")
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--workers", type=int, default=1, choices=(1, 2), help="arms run at a time, one core each"
    )
    args = parser.parse_args(argv)
    from saeinit.data.synthetic.presets import SYNTHSAEBENCH_16K, scaled_world

    if args.quick:
        folder = Path(tempfile.mkdtemp())
        (folder / "tiny.json").write_text(
            json.dumps(scaled_world(SYNTHSAEBENCH_16K, **QUICK_WORLD))
        )
        args.synthetic, args.cache = str(folder / "tiny.json"), args.cache or str(folder)
        args.samples, args.points, args.init_samples, args.eval_samples = 4096, 3, 2048, 1024
    world = arm_world(args)  # built and cached once, before the arms load it
    if args.workers == 1:
        arms = [arm_job(args, arm) for arm in ARMS]
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            arms = list(pool.map(arm_job, [args] * len(ARMS), ARMS))
    print(
        f"{world.name}, {args.architecture} k {arms[0]['k']:g}, SAELens' SyntheticSAERunner, "
        f"{args.samples:,} samples, {args.workers} arm(s) at a time"
    )
    for line in summary(arms):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "arms": arms}, indent=1))
    return arms


def arm_world(args):
    from saeinit.data.synthetic import SyntheticConfig, load_world

    return load_world(SyntheticConfig(synthetic=args.synthetic, synthetic_cache=args.cache))


def arm_job(args, arm: str) -> dict:
    """One arm in this process, on one thread: the world, its held-out sample and k loaded
    here, so that a worker process needs only the arguments."""
    import torch

    from saeinit.data.synthetic.pool import draw, stream_seed
    from saeinit.data.synthetic.source import world_info

    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    world = arm_world(args)
    held_out = draw(world.model, args.eval_samples, stream_seed(world.key, "eval"), features=True)
    k = float(round(world_info(world, held_out[1], 0)["top_l0"]))
    return run_arm(args, world, held_out, k, arm) | {"k": k}


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    main()
