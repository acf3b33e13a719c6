"""Seconds and peak memory of each init at the sizes SAEs are trained at, and their growth in n.

    python benchmarks/init_scale.py                      # n 4,096 / 16,384 / 65,536, d 768 / 2,048
    python benchmarks/init_scale.py --quick              # n 256 / 1,024, d 64 / 128
    python benchmarks/init_scale.py --inits mod fitted --atoms 16384 --dims 768 --device cuda

Each case (an init, n atoms, d dimensions) runs in a process of its own, with --threads torch
threads (1 by default), so that its memory is its own and a case that runs past --timeout is
stopped and reported as "over N s" without blocking the others. Its data is a cheap stand-in
for toy data at that size, drawn before the init starts: n random unit features in d
dimensions, each sample a non-negative mix of about ACTIVE of them picked with power-law
frequencies. Each init draws what it needs from that pool (its default init sample). Beyond
the registered inits, VARIANTS: `centroid-torch` is centroid with --centroid-backend torch,
`fitted` and `whitened` those encoder inits over the `data` init's atoms (on FIT_SAMPLES
samples).

Seconds are the init's as `initialize` times them (for an encoder, its own), with
scikit-learn imported before and, on a GPU, after an untimed run of the case at WARM_UP_ATOMS
atoms (the device's libraries load on first use). Memory: on the CPU, the peak resident set
of the process during the init (VmHWM, reset after the data is drawn) minus its resident set
before; on a GPU, torch.cuda.max_memory_allocated during the init minus what was allocated
before. The growth exponent of an init is the least-squares slope of
log seconds on log n over its cases that finished (per d). The last lines are mod's seconds at
16,384 x 768 and 65,536 x 2,048.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import time

FULL = {"atoms": [4096, 16384, 65536], "dims": [768, 2048], "timeout": 300}
QUICK = {"atoms": [256, 1024], "dims": [64, 128], "timeout": 60}
TARGETS = [(16384, 768), (65536, 2048)]
"""(n, d) of mod's seconds printed last."""
ACTIVE = 5
"""Mean active features per sample of the stand-in data."""
SLOTS = 8
"""Features a sample may mix (the first always active, the others with ACTIVE / SLOTS odds)."""
DECAY = 0.5
"""Feature i is picked with weight (i + 1) ** -DECAY: frequent and rare features, all seen."""
ENCODERS = ("fitted", "whitened")
"""Cases that time an encoder init (over the `data` init's atoms) instead of a dictionary init."""
VARIANTS = {
    "centroid-torch": ("centroid", {"centroid_backend": "torch"}),
    **{encoder: ("data", {}) for encoder in ENCODERS},
}
"""Cases that are not a registered init with its defaults: name -> (init, InitConfig options)."""
SKLEARN = ("sklearn.cluster", "sklearn.ensemble", "sklearn.mixture", "sklearn.neighbors")
"""The scikit-learn modules the inits import on first use (seconds of import, not of init)."""
SETUP_SECONDS = 600
"""What a case may take beyond --timeout to start and draw its data before it is stopped."""
WARM_UP_ATOMS = 256
"""Atoms of the untimed run of a case on a GPU before its timed one."""


def stand_in(n_features: int, dim: int, samples: int, seed: int = 0):
    """(features [n_features, dim], samples [samples, dim]) of the stand-in data, on the CPU."""
    import torch
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(seed)
    features = F.normalize(torch.randn(n_features, dim, generator=g), dim=1)
    weights = (torch.arange(n_features, dtype=torch.float64) + 1) ** -DECAY
    picks = torch.multinomial(weights, samples * SLOTS, replacement=True, generator=g)
    active = torch.rand(samples, SLOTS, generator=g) < ACTIVE / SLOTS
    active[:, 0] = True
    coefficients = torch.rand(samples, SLOTS, generator=g) * active
    parts = zip(picks.view(samples, SLOTS).split(4096), coefficients.split(4096), strict=True)
    return features, torch.cat(
        [F.embedding_bag(p, features, per_sample_weights=c, mode="sum") for p, c in parts]
    )


class Pool:
    """A draw function over pre-drawn samples: each call takes the next rows (wrapping)."""

    def __init__(self, x):
        self.x, self.next = x, 0

    def __call__(self, n: int):
        import torch

        rows = (torch.arange(n) + self.next) % len(self.x)
        self.next = (self.next + n) % len(self.x)
        return self.x[rows]


def pool_size(case: str, n: int) -> int:
    """The largest sample the case draws at once: its init's, its rare base's, or the fit's."""
    import torch

    from saeinit.inits import InitConfig, InitRequest
    from saeinit.inits.encoder import FIT_SAMPLES
    from saeinit.inits.request import sample_size

    def size(name: str) -> int:
        config = InitConfig(init=name)
        return sample_size(InitRequest(n, 1, torch.Generator(), lambda k: None, config))

    init = VARIANTS.get(case, (case,))[0]
    needed = max(size(init), size(InitConfig(init=init).rare_base))
    return max(needed, FIT_SAMPLES) if case in ENCODERS else needed


class Memory:
    """The peak memory of the init beyond what the process held before it, in MiB."""

    def __init__(self, device):
        import torch

        self.cuda = device.type == "cuda"
        if self.cuda:
            torch.cuda.synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
            self.before = torch.cuda.memory_allocated(device)
        else:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # resets VmHWM, the peak resident set, to the current one
            self.before = self._status("VmRSS")

    @staticmethod
    def _status(field: str) -> int:
        with open("/proc/self/status") as status:
            return int(re.search(rf"{field}:\s+(\d+)", status.read()).group(1)) * 1024

    def peak_mib(self) -> float:
        import torch

        peak = torch.cuda.max_memory_allocated() if self.cuda else self._status("VmHWM")
        return (peak - self.before) / 2**20


def run_case(case: str, n: int, d: int, device_name: str, threads: int, timeout: float) -> dict:
    """One case, in this process: its seconds and peak MiB, or {"over": timeout}. On a GPU the
    case first runs untimed at WARM_UP_ATOMS atoms, so that its seconds do not hold the loading
    of the device's libraries (cuBLAS, cuSOLVER) and kernels, a once-per-process cost."""
    import torch

    torch.set_num_threads(threads)
    for module in SKLEARN:  # imported before the clock starts: the estimators are timed
        importlib.import_module(module)
    device = torch.device(device_name)
    if device.type == "cuda":
        prepared(case, WARM_UP_ATOMS, d, device)()
    timed = prepared(case, n, d, device)

    def over(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, over)
    signal.alarm(math.ceil(timeout))
    memory = Memory(device)
    try:
        seconds = timed()
    except TimeoutError:
        return {"over": timeout}
    finally:
        signal.alarm(0)
    return {"seconds": seconds, "peak_mib": memory.peak_mib()}


def prepared(case: str, n: int, d: int, device):
    """The case with its data drawn (and, for an encoder, its dictionary and sample built): a
    function that runs its init and returns the init's seconds."""
    import torch

    from saeinit.inits import InitConfig, InitRequest, initialize
    from saeinit.inits.encoder import FIT_SAMPLES
    from saeinit.inits.encoders import ENCODER_INITS
    from saeinit.tensors import elapsed

    features, x = stand_in(n, d, pool_size(case, n))
    features, draw = features.to(device), Pool(x.to(device))
    init, options = VARIANTS.get(case, (case, {}))
    config = InitConfig(init=init, **options)
    request = InitRequest(n, d, torch.Generator().manual_seed(0), draw, config, features, device)
    if case not in ENCODERS:
        return lambda: initialize(request).seconds
    atoms, sample = initialize(request).W_dec, draw(FIT_SAMPLES)

    def encoder_seconds() -> float:
        start = time.perf_counter()
        W_enc, _ = ENCODER_INITS[case].fn(atoms, sample, config)
        return elapsed(start, W_enc)

    return encoder_seconds


def measure(init: str, n: int, d: int, args) -> dict:
    """Run one case in a child process; its result, or {"over": ...} / {"failed": ...}."""
    command = [sys.executable, __file__, "--case", init, str(n), str(d)]
    command += ["--device", args.device, "--threads", str(args.threads)]
    command += ["--timeout", str(args.timeout)]
    env = os.environ | {"OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=args.timeout + SETUP_SECONDS
        )
    except subprocess.TimeoutExpired:
        return {"over": args.timeout}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"failed": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def cell(result: dict | None) -> str:
    if result is None:
        return "not run"
    if "over" in result:
        return f"over {result['over']:g} s"
    if "failed" in result:
        return f"failed: {result['failed']}"
    return f"{result['seconds']:.2f} s"


def growth(results: dict, init: str, d: int, atoms: list[int]) -> str:
    """The least-squares slope of log seconds on log n over the finished cases."""
    points = [(n, results[init, n, d]) for n in atoms if (init, n, d) in results]
    finished = [(math.log(n), math.log(r["seconds"])) for n, r in points if "seconds" in r]
    if len(finished) < 2:
        return "-"
    mean_x = sum(x for x, _ in finished) / len(finished)
    mean_y = sum(y for _, y in finished) / len(finished)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in finished)
    slope /= sum((x - mean_x) ** 2 for x, _ in finished)
    cut = [n for n, r in points if "over" in r]
    return f"{slope:.2f}" + (f" (n >= {cut[0]:,} over the timeout)" if cut else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (n 256/1,024, d 64/128)")
    parser.add_argument("--inits", nargs="+", help="inits to run (default: all and VARIANTS)")
    parser.add_argument("--atoms", type=int, nargs="+", help="dictionary sizes n")
    parser.add_argument("--dims", type=int, nargs="+", help="data dimensions d")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per case")
    parser.add_argument("--timeout", type=float, help="seconds an init may take (300; quick 60)")
    parser.add_argument("--case", nargs=3, metavar=("INIT", "N", "D"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    args.timeout = args.timeout or sizes["timeout"]
    if args.case:
        init, n, d = args.case
        result = run_case(init, int(n), int(d), args.device, args.threads, args.timeout)
        print(json.dumps(result))
        return
    from saeinit import inits

    names = args.inits or [*inits.names(), *VARIANTS]
    atoms, dims = args.atoms or sizes["atoms"], args.dims or sizes["dims"]
    report(names, atoms, dims, args)


def report(names: list[str], atoms: list[int], dims: list[int], args) -> None:
    """Run every case, printing its row as it finishes, then the growth and mod's targets."""
    import torch

    print(
        f"torch {torch.__version__}, device {args.device}, {args.threads} thread(s) per case, "
        f"timeout {args.timeout:g} s; load average at the start {os.getloadavg()[0]:.2f}"
    )
    print(f"{'init':<14} {'n':>7} {'d':>5} {'seconds':>14} {'peak MiB':>9}", flush=True)
    results = {}
    for d in dims:
        for n in atoms:
            for init in names:
                results[init, n, d] = result = measure(init, n, d, args)
                peak = f"{result['peak_mib']:9.0f}" if "peak_mib" in result else f"{'-':>9}"
                print(f"{init:<14} {n:>7,} {d:>5} {cell(result):>14} {peak}", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    print("growth exponent in n (slope of log seconds on log n):")
    for init in names:
        print(f"{init:<14} " + "  ".join(f"d {d}: {growth(results, init, d, atoms)}" for d in dims))
    for n, d in TARGETS:
        print(f"mod at {n:,} x {d:,}: {cell(results.get(('mod', n, d)))}")


if __name__ == "__main__":
    main()
