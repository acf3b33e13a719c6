"""Throughput of the core: toy generator, training step and MMCS, side by side.

    python benchmarks/core.py [--threads 1] [--repeats 50]

For G = 256, 512, 1024 (d = 128, dictionary size G) and batch 256 and 1024 it prints the
generator's samples/s, training steps/s (fresh batch included and excluded), the cost of one
MMCS evaluation and of one full history row, and their ratios to one training step.
"""

from __future__ import annotations

import argparse
import time

import torch

from saeinit import metrics
from saeinit.cpu import configure_cpu
from saeinit.data import ToyConfig, ToyData
from saeinit.models import ReLUSAE
from saeinit.seeding import torch_generator


def seconds_per_call(fn, repeats: int) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def measure(G: int, batch: int, repeats: int) -> str:
    """One table row: generator, step, MMCS and history-row costs for G features."""
    toy = ToyData(ToyConfig(dim=128, features=G))
    model = ReLUSAE(128, G, 0.1)
    model.reset_encoder(torch.Generator().manual_seed(0))
    model.set_decoder(torch.randn(G, 128))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    eval_x = toy.sample(2048, torch_generator(0, "eval")).x
    g = torch_generator(0, "train")
    x = toy.sample(batch, g).x

    def step(data=x):
        model.normalize_decoder()
        loss = model(data).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    @torch.no_grad()
    def row():
        out = model(eval_x)
        metrics.l0(out.acts), metrics.dead_latents(out.acts)
        metrics.recovery_summary(toy.features, model.W_dec)

    t_gen = seconds_per_call(lambda: toy.sample(batch, g), repeats)
    t_step = seconds_per_call(step, repeats)
    t_both = seconds_per_call(lambda: step(toy.sample(batch, g).x), repeats)
    t_mmcs = seconds_per_call(lambda: metrics.mmcs(toy.features, model.W_dec), repeats)
    t_row = seconds_per_call(row, max(3, repeats // 10))
    return (
        f"{G:>5} {batch:>5} {batch / t_gen:>14,.0f} {1 / t_step:>8.1f} {1 / t_both:>10.1f} "
        f"{t_gen / t_step:>8.2f} {t_mmcs * 1e3:>8.2f} {t_mmcs / t_step:>9.2f} {t_row * 1e3:>7.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    threads = configure_cpu(args.threads)
    print(f"torch {torch.__version__}, {threads} thread(s), d = 128, dictionary size = G")
    print(
        f"{'G':>5} {'batch':>5} {'gen samples/s':>14} {'step/s':>8} {'step+gen/s':>10} "
        f"{'gen/step':>8} {'MMCS ms':>8} {'MMCS/step':>9} {'row ms':>7}"
    )
    for G in (256, 512, 1024):
        for batch in (256, 1024):
            print(measure(G, batch, args.repeats), flush=True)
    print("gen/step and MMCS/step: cost of one generated batch / one MMCS check per training step")
    print("(MMCS runs every --eval-every steps, default 10; a history row every --log-every, 100)")


if __name__ == "__main__":
    main()
