"""Sweep the L1 coefficient: steps to each MMCS threshold on a toy scenario, orthogonal init.

    python benchmarks/l1_sweep.py --scenario 128x256 --l1 0.03 0.1 0.3 1 --seeds 0 1

Runs go in parallel, one process per core with one torch thread each.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor

from saeinit.data import ToyConfig, parse_scenario
from saeinit.models import SAEConfig
from saeinit.training.config import TrainConfig
from saeinit.training.run import run
from saeinit.training.settings import RunConfig


def one_run(args: tuple[str, float, int, int]) -> tuple[float, int, dict, float]:
    scenario, l1, seed, max_steps = args
    dim, features = parse_scenario(scenario)
    config = RunConfig(
        toy=ToyConfig(dim=dim, features=features, seed=seed),
        sae=SAEConfig(l1=l1),
        train=TrainConfig(max_steps=max_steps, seed=seed, threads=1, progress=False),
    )
    result = run(config).result
    return l1, seed, result["thresholds"], result["mmcs_final"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="128x256")
    parser.add_argument("--l1", type=float, nargs="+", default=[0.03, 0.1, 0.3, 1.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-steps", type=int, default=20_000)
    args = parser.parse_args()
    jobs = [(args.scenario, l1, s, args.max_steps) for l1 in args.l1 for s in args.seeds]
    print(
        f"scenario {args.scenario}, orthogonal init, batch 256, Adam 1e-3, {args.max_steps} steps"
    )
    print(f"{'l1':>6} {'seed':>4} {'final':>7} {'to 0.95':>8} {'to 0.98':>8} {'to 0.99':>8}")
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        for l1, seed, thresholds, final in pool.map(one_run, jobs):
            steps = [
                thresholds[k]["step"] if thresholds[k] else "-" for k in ("0.95", "0.98", "0.99")
            ]
            print(
                f"{l1:>6} {seed:>4} {final:>7.4f} " + " ".join(f"{s:>8}" for s in steps), flush=True
            )


if __name__ == "__main__":
    main()
