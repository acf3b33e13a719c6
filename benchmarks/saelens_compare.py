"""Training throughput: our trainer, SAELens' standard SAE trainer and a minimal PyTorch loop.

    python benchmarks/saelens_compare.py [--threads 1] [--seconds 3] [--repeats 3] [--quick]
        [--shapes 256x256 4096x4096 ...]
    python benchmarks/saelens_compare.py --profile 4096x256   # where our trainer spends time

For d = 128, dictionary size n = 256, 1024, 4096 (toy data with G = n features) and batch 256
and 4096 (--shapes NxBATCH picks a subset), the three trainers run side by side in one process
on the same data, the same initial weights, fp32, Adam lr 1e-3 and the same torch thread count
(--threads, default 1, set with saeinit's configure_cpu for all three). It prints steps/s and
samples/s of each and, as its last lines, the ratios ours/SAELens and ours/minimal per shape.

SAELens (`pip install sae-lens`) is a benchmark-only dependency, not one of the package's.

Measurement
-----------
* Data: per shape a pool of --pool-samples toy samples (split into batches) is generated once
  with our generator and cycled by all three trainers, so data generation is not timed.
* Steps: the same number for all three at a shape, chosen so that the minimal loop runs about
  --seconds; the first `warmup` steps of every measurement are not timed. Each trainer is
  measured --repeats times in interleaved rounds (the machine may be shared) and the fastest
  measurement is reported.
* Ours: `saeinit.training.trainer.train` with features=None (no ground truth, so no MMCS and no
  early stop), progress=False, eval_every = log_every = the step count (one evaluation at the
  end), a 256-sample eval_x. A first train() call of `warmup` steps warms up; the time of the
  second call is its TrainResult.train_seconds, which counts the batch fetch and the optimiser
  steps but not the evaluations (at step 0 and at the last step).
* SAELens: `SAETrainer.fit()` with a StandardTrainingSAE, driven by a `data_provider` iterator
  over the same batches, built as in sae_lens.synthetic.training.train_toy_sae. The clock
  starts when the trainer pulls batch number warmup + 1 and stops when fit() returns.
  Disabled: wandb logging and evals (log_to_wandb=False), checkpoints (n_checkpoints=0,
  save_final_checkpoint=False), the sparsity-window log (feature_sampling_window larger than the
  run; it builds a wandb histogram even without wandb), activation normalisation, and its tqdm
  bar (patched to disable=True; it is updated only every 100 steps).
* Minimal: ~10 lines of plain PyTorch with exactly our ReLUSAE's loss and decoder renorm, the
  floor of framework overhead.

What SAELens' standard trainer does differently (ReLU + L1, matched as closely as it allows)
-------------------------------------------------------------------------------------------
* Loss: MSE summed over d (ours: mean), and L1 = coefficient * mean_batch sum_i c_i ||W_dec_i||,
  the L1 weighted by the decoder row norms (ours: alpha * mean_batch sum_i c_i / n with unit
  rows). Its coefficient is set to alpha * d / n, so its loss is d times ours at unit-norm
  rows; Adam is nearly invariant to that scale. The norm weighting costs a [batch, n] multiply,
  the norms of W_dec and their backward.
* No decoder renormalisation step (ours renormalises W_dec before every step).
* A trained decoder bias b_dec added to every reconstruction; apply_b_dec_to_input=False here
  (its default True also subtracts it from the input), yet `x - b_dec * False` is still computed.
* Every step: gradient-norm clipping to 1.0 (a norm over all gradients and a rescale of them),
  dead-feature and firing-frequency tracking (a [batch, n] bool->float copy, two reductions and
  an indexed write), an lr scheduler step (constant: SequentialLR over LambdaLR; its default
  lr_warm_up_steps=0 is kept) and an L1-coefficient scheduler step (l1_warm_up_steps=0), and
  transformer_lens HookPoint modules around the input, pre/post activations and reconstruction.
* Init: its own init (kaiming rows scaled to norm 0.1, W_enc = W_dec^T, zero biases) is replaced
  by ours, so all three start from the same weights.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import time
from collections.abc import Callable, Iterator

import torch

from saeinit.cpu import configure_cpu
from saeinit.data import ToyConfig, ToyData
from saeinit.models import ReLUSAE
from saeinit.training.config import TrainConfig
from saeinit.training.trainer import train

D = 128
LR = 1e-3
L1 = 0.1
SHAPES = [(n, batch) for n in (256, 1024, 4096) for batch in (256, 4096)]
TRAINERS = ("ours", "saelens", "minimal")


def parse_shape(text: str) -> tuple[int, int]:
    n, _, batch = text.lower().partition("x")
    return int(n), int(batch)


class Stamped(Iterator[torch.Tensor]):
    """Cycles a pool of batches and notes the time at which batch number `mark` is pulled."""

    def __init__(self, pool: list[torch.Tensor], mark: int = 0):
        self.batches, self.mark, self.pulled = itertools.cycle(pool), mark, 0
        self.marked_at: float | None = None

    def __next__(self) -> torch.Tensor:
        if self.pulled == self.mark:
            self.marked_at = time.perf_counter()
        self.pulled += 1
        return next(self.batches)


def initial_weights(n: int) -> dict[str, torch.Tensor]:
    model = ReLUSAE(D, n, L1)
    generator = torch.Generator().manual_seed(0)
    model.reset_encoder(generator)
    model.set_decoder(torch.randn(n, D, generator=generator))
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def our_model(init: dict[str, torch.Tensor]) -> ReLUSAE:
    model = ReLUSAE(D, init["W_dec"].shape[0], L1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(init[name])
    return model


def time_ours(pool, init, steps: int, warmup: int) -> float:
    model = our_model(init)
    batch = len(pool[0])
    eval_x = pool[0][:256]

    def config(max_steps: int) -> TrainConfig:
        return TrainConfig(
            batch_size=batch,
            lr=LR,
            max_steps=max_steps,
            eval_every=max_steps,
            log_every=max_steps,
            progress=False,
        )

    batches = itertools.cycle(pool)
    train(model, batches, config(warmup), features=None, eval_x=eval_x)
    result = train(model, batches, config(steps), features=None, eval_x=eval_x)
    assert result.steps == steps, result.stopped
    return result.train_seconds


def time_saelens(pool, init, steps: int, warmup: int) -> float:
    from sae_lens.config import LoggingConfig, SAETrainerConfig
    from sae_lens.saes.standard_sae import StandardTrainingSAE, StandardTrainingSAEConfig
    from sae_lens.training import sae_trainer

    n, batch = init["W_dec"].shape[0], len(pool[0])
    sae = StandardTrainingSAE(
        StandardTrainingSAEConfig(
            d_in=D,
            d_sae=n,
            dtype="float32",
            device="cpu",
            apply_b_dec_to_input=False,
            normalize_activations="none",
            l1_coefficient=L1 * D / n,
            l1_warm_up_steps=0,
        )
    )
    with torch.no_grad():
        for name in ("W_enc", "b_enc", "W_dec"):
            getattr(sae, name).copy_(init[name])
        sae.b_dec.zero_()
    total = steps + warmup
    config = SAETrainerConfig(
        total_training_samples=total * batch,
        train_batch_size_samples=batch,
        lr=LR,
        lr_end=LR,
        lr_scheduler_name="constant",
        lr_warm_up_steps=0,
        lr_decay_steps=0,
        device="cpu",
        autocast=False,
        feature_sampling_window=total + 1,
        n_checkpoints=0,
        checkpoint_path=None,
        save_final_checkpoint=False,
        logger=LoggingConfig(log_to_wandb=False, eval_every_n_wandb_logs=2**31 - 1),
    )
    data = Stamped(pool, mark=warmup)
    trainer = sae_trainer.SAETrainer(cfg=config, sae=sae, data_provider=data)
    trainer.fit()
    end = time.perf_counter()
    assert trainer.n_training_steps == total and data.marked_at is not None
    return end - data.marked_at


def time_minimal(pool, init, steps: int, warmup: int) -> float:
    n = init["W_dec"].shape[0]
    W_enc, b_enc, W_dec = (init[k].clone().requires_grad_() for k in ("W_enc", "b_enc", "W_dec"))
    optimizer = torch.optim.Adam([W_enc, b_enc, W_dec], lr=LR)
    data = Stamped(pool, mark=warmup)
    for _ in range(steps + warmup):
        x = next(data)
        with torch.no_grad():
            W_dec /= W_dec.norm(dim=1, keepdim=True).clamp_min(1e-12)
        c = torch.relu(x @ W_enc + b_enc)
        loss = (c @ W_dec - x).pow(2).mean() + L1 * c.sum(dim=1).mean() / n
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    assert data.marked_at is not None
    return time.perf_counter() - data.marked_at


TIMERS: dict[str, Callable[..., float]] = {
    "ours": time_ours,
    "saelens": time_saelens,
    "minimal": time_minimal,
}


def make_pool(toy: ToyData, batch: int, pool_samples: int) -> list[torch.Tensor]:
    return list(itertools.islice(toy.stream(batch, seed=0), max(4, pool_samples // batch)))


def choose_steps(pool, init, seconds: float) -> tuple[int, int]:
    """Steps (and warm-up steps) for about `seconds` of the minimal loop."""
    probe = time_minimal(pool, init, steps=3, warmup=1) / 3
    steps = max(10, min(100_000, round(seconds / probe)))
    return steps, max(3, min(50, steps // 10))


def profile_ours(n: int, batch: int, pool_samples: int, seconds: float) -> None:
    from torch.profiler import ProfilerActivity, profile

    pool = make_pool(ToyData(ToyConfig(dim=D, features=n)), batch, pool_samples)
    init = initial_weights(n)
    steps, warmup = choose_steps(pool, init, seconds)
    time_ours(pool, init, warmup, warmup)  # warm-up outside the profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        train_seconds = time_ours(pool, init, steps, warmup)
        wall = time.perf_counter() - start
    print(f"our trainer, n = {n}, batch = {batch}, {steps} steps (+{warmup} warm-up), profiled")
    print(f"train_seconds {train_seconds:.3f} s, wall {wall:.3f} s (profiler overhead included)")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0, help="target time per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds; best kept")
    parser.add_argument("--pool-samples", type=int, default=65_536)
    parser.add_argument("--shapes", nargs="+", type=parse_shape, default=SHAPES, metavar="NxB")
    parser.add_argument("--quick", action="store_true", help="--seconds 0.5 --repeats 1")
    parser.add_argument("--profile", type=parse_shape, metavar="NxB", help="profile ours only")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.repeats = 0.5, 1
    threads = configure_cpu(args.threads)

    from sae_lens import __version__ as saelens_version
    from sae_lens.training import sae_trainer

    sae_trainer.tqdm = functools.partial(sae_trainer.tqdm, disable=True)  # its bar is always on
    print(f"torch {torch.__version__}, sae-lens {saelens_version}, {threads} thread(s), d = {D}")
    if args.profile:
        profile_ours(*args.profile, args.pool_samples, args.seconds)
        return
    print(
        f"same pre-generated batches, init, Adam lr {LR}, fp32; best of {args.repeats} "
        f"interleaved round(s) of ~{args.seconds:g} s"
    )
    header = f"{'n':>5} {'batch':>5} {'steps':>6} " + " ".join(
        f"{name + ' step/s':>15} {'samples/s':>10}" for name in TRAINERS
    )
    print(header)
    ratios = []
    toys: dict[int, ToyData] = {}
    for n, batch in args.shapes:
        toy = toys.setdefault(n, ToyData(ToyConfig(dim=D, features=n)))
        pool = make_pool(toy, batch, args.pool_samples)
        init = initial_weights(n)
        steps, warmup = choose_steps(pool, init, args.seconds)
        best = dict.fromkeys(TRAINERS, float("inf"))
        for round_ in range(args.repeats):
            order = TRAINERS[round_ % 3 :] + TRAINERS[: round_ % 3]
            for name in order:
                best[name] = min(best[name], TIMERS[name](pool, init, steps, warmup))
        rate = {name: steps / best[name] for name in TRAINERS}
        print(
            f"{n:>5} {batch:>5} {steps:>6} "
            + " ".join(f"{rate[name]:>15.1f} {rate[name] * batch:>10,.0f}" for name in TRAINERS),
            flush=True,
        )
        ratios.append((n, batch, rate["ours"] / rate["saelens"], rate["ours"] / rate["minimal"]))
    for n, batch, vs_saelens, vs_minimal in ratios:
        print(
            f"n = {n:>4}, batch = {batch:>4}: ours/SAELens {vs_saelens:.2f}x, "
            f"ours/minimal {vs_minimal:.2f}x (steps/s)"
        )


if __name__ == "__main__":
    main()
