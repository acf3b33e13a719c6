"""The cost of each init at scale: seconds for n = 1024, 4096, 16384 atoms at d = 128 and 768.

    python benchmarks/init_cost.py [--atoms 1024 4096 16384] [--dims 128 768] [--inits ...]

The data is toy data with G = n features (one copula draw per 256-sample batch). Each init runs
with its default init sample size; an init whose cost grows with the square of something a user
scales shows up as a row whose seconds grow much faster than n.
"""

from __future__ import annotations

import argparse

import torch

from saeinit import inits
from saeinit.config import ConfigError
from saeinit.cpu import configure_cpu
from saeinit.data import ToyConfig, ToyData
from saeinit.inits import InitConfig, InitRequest, initialize


def time_init(name: str, n: int, d: int, budget_s: float) -> str:
    toy = ToyData(ToyConfig(dim=d, features=n, correlated=n <= 4096))
    request = InitRequest(
        n, d, torch.Generator().manual_seed(0), toy.sampler(0), InitConfig(init=name)
    )
    try:
        result = initialize(request)
    except ConfigError as err:
        return f"{name:<11} {n:>6} {d:>4}  refused: --{err.option}: {err.message}"
    flag = "  (over budget)" if result.seconds > budget_s else ""
    return f"{name:<11} {n:>6} {d:>4} {result.seconds:>9.2f}{flag}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atoms", type=int, nargs="+", default=[1024, 4096, 16384])
    parser.add_argument("--dims", type=int, nargs="+", default=[128, 768])
    parser.add_argument("--inits", nargs="+", default=inits.names())
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--budget", type=float, default=60.0, help="flag inits slower than this")
    args = parser.parse_args()
    threads = configure_cpu(args.threads)
    print(f"torch {torch.__version__}, {threads} thread(s); seconds per init (default options)")
    print(f"{'init':<11} {'n':>6} {'d':>4} {'seconds':>9}")
    for d in args.dims:
        for n in args.atoms:
            for name in args.inits:
                print(time_init(name, n, d, args.budget), flush=True)


if __name__ == "__main__":
    main()
