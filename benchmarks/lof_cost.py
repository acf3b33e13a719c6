"""Cost of the `outliers` init's LocalOutlierFactor against the init sample size.

    python benchmarks/lof_cost.py --scenario 128x256 --samples 2000 10000 50000

LOF finds the n_neighbors nearest neighbours of every sample, which is quadratic in the sample
size. Each size is timed on one thread (torch and BLAS), as training runs are, and put beside the
time of one training step so that the init's share of a run can be read off.
"""

from __future__ import annotations

import argparse
import time

import torch
from sklearn.neighbors import LocalOutlierFactor
from threadpoolctl import threadpool_limits

from saeinit.data import ToyConfig, ToyData, parse_scenario
from saeinit.models import ReLUSAE
from saeinit.seeding import torch_generator


def lof_seconds(x: torch.Tensor, n_neighbors: int) -> float:
    start = time.perf_counter()
    LocalOutlierFactor(n_neighbors=n_neighbors, n_jobs=1).fit(x.numpy())
    return time.perf_counter() - start


def step_seconds(toy: ToyData, steps: int = 200, batch: int = 256) -> float:
    """Wall-clock seconds of one reference training step (data, forward, backward, Adam)."""
    dim, n = toy.config.dim, toy.config.features
    model = ReLUSAE(dim, n, 0.1)
    model.reset_encoder(torch.Generator().manual_seed(0))
    model.set_decoder(torch.randn(n, dim))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch_generator(0, "train")
    start = time.perf_counter()
    for _ in range(steps):
        x = toy.sample(batch, g).x
        model.normalize_decoder()
        loss = model(x).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="128x256")
    parser.add_argument("--samples", type=int, nargs="+", default=[2000, 10000, 50000])
    parser.add_argument("--neighbors", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    dim, features = parse_scenario(args.scenario)
    toy = ToyData(ToyConfig(dim=dim, features=features))
    torch.set_num_threads(1)
    with threadpool_limits(1):
        step = step_seconds(toy)
        print(f"scenario {args.scenario}, n_neighbors {args.neighbors}, one thread")
        print(f"one training step (batch 256): {step * 1000:.2f} ms")
        print(f"{'samples':>8} {'LOF s':>8} {'= steps':>8}")
        for n in args.samples:
            x = toy.sample(n, torch_generator(0, "init")).x
            seconds = min(lof_seconds(x, args.neighbors) for _ in range(args.repeats))
            print(f"{n:>8} {seconds:>8.2f} {seconds / step:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
