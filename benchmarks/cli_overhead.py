"""What the CLI costs: a whole `saeinit train` process against a minimal PyTorch script doing
the same work, and the CLI's start-up time.

    python benchmarks/cli_overhead.py [--repeats 5] [--max-steps 800]

Both run as whole processes (subprocess, wall clock from start to exit), alternating, the order
swapped every repeat so that a change in the machine's load hits both alike:

(a) saeinit train --scenario 128x1024 --batch-size 256 --max-steps 800 --eval-every 800
    --log-every 800 --threads 1 --no-progress
(b) MINIMAL below: the same toy batches (saeinit.data.ToyData, the training stream's seed),
    torch's orthogonal init, the reference SAE's forward, backward and Adam step, the decoder
    normalised before every step, MMCS once at the end, one thread.

Start-up is timed the same way on `saeinit --help`, `saeinit inits`, `saeinit train --help`,
and on `python -c "import torch"` alone. The last two lines are the CLI's start-up time and
the whole-process ratio (a)/(b), both medians of the repeats.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

MINIMAL = """
import sys
import torch

torch.set_num_threads(1)
torch.set_flush_denormal(True)
from saeinit.data import ToyConfig, ToyData
from saeinit.seeding import torch_generator

steps, batch, dim, features, l1 = int(sys.argv[1]), 256, 128, 1024, 0.1
toy = ToyData(ToyConfig(dim=dim, features=features))
init = torch_generator(0, "init")
W_dec = torch.empty(dim, features)
torch.nn.init.orthogonal_(W_dec, generator=init)
W_dec = W_dec.T.contiguous().requires_grad_()
bound = dim**-0.5
W_enc = (torch.rand(dim, features, generator=init) * 2 * bound - bound).requires_grad_()
b_enc = (torch.rand(features, generator=init) * 2 * bound - bound).requires_grad_()
optimizer = torch.optim.Adam([W_enc, b_enc, W_dec], lr=1e-3)
train = torch_generator(0, "train")
for _ in range(steps):
    x = toy.sample(batch, train).x
    with torch.no_grad():
        W_dec /= W_dec.norm(dim=1, keepdim=True).clamp_min(1e-12)
    acts = torch.relu(x @ W_enc + b_enc)
    x_hat = acts @ W_dec
    loss = (x_hat - x).pow(2).mean() + l1 * acts.sum(dim=1).mean() / features
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
with torch.no_grad():
    W_dec /= W_dec.norm(dim=1, keepdim=True).clamp_min(1e-12)
    f = toy.features / toy.features.norm(dim=1, keepdim=True)
    mmcs = (f @ W_dec.T).amax(dim=1).mean().item()
print(f"MMCS {mmcs:.4f} after {steps} steps")
"""


def saeinit_command() -> list[str]:
    """The installed `saeinit` script beside this Python (not a shell shim), else -m."""
    script = Path(sys.executable).parent / "saeinit"
    return [str(script)] if script.exists() else [sys.executable, "-m", "saeinit"]


def timed(command: list[str]) -> tuple[float, str]:
    """Wall-clock seconds of a whole process, and its output; a failure stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stdout


def mmcs_of(output: str) -> str:
    """The final MMCS a run printed ("MMCS a -> b" at the start of a line from the CLI, which
    also prints a live MMCS after it; "MMCS b" from MINIMAL)."""
    found = re.findall(r"^MMCS (?:[\d.]+ -> )?([\d.]+)", output, flags=re.MULTILINE)
    return found[0] if found else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=800)
    args = parser.parse_args()
    cli = saeinit_command()
    steps = str(args.max_steps)
    train = cli + [
        "train", "--scenario", "128x1024", "--batch-size", "256", "--max-steps", steps,
        "--eval-every", steps, "--log-every", steps, "--threads", "1", "--no-progress",
    ]  # fmt: skip
    minimal = [sys.executable, "-c", MINIMAL, steps]
    startup = {
        "import torch": [sys.executable, "-c", "import torch"],
        "saeinit --help": cli + ["--help"],
        "saeinit inits": cli + ["inits"],
        "saeinit train --help": cli + ["train", "--help"],
    }
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
        f", PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}"
        f"; CLI: {' '.join(cli)}"
    )
    starts: dict[str, list[float]] = {name: [] for name in startup}
    whole: dict[str, list[float]] = {"cli": [], "minimal": []}
    for repeat in range(args.repeats):
        for name, command in startup.items():
            starts[name].append(timed(command)[0])
        order = ("cli", "minimal") if repeat % 2 == 0 else ("minimal", "cli")
        shown = []
        for which in order:
            seconds, output = timed(train if which == "cli" else minimal)
            whole[which].append(seconds)
            shown.append(f"{which} {seconds:.2f}s (MMCS {mmcs_of(output)})")
        print(f"repeat {repeat + 1}: " + "  ".join(shown), flush=True)
    for name, values in starts.items():
        print(f"{name:<22} median {statistics.median(values):.3f}s  min {min(values):.3f}s")
    cli_s, minimal_s = (statistics.median(whole[k]) for k in ("cli", "minimal"))
    print(f"whole process: saeinit train {cli_s:.2f}s, minimal loop {minimal_s:.2f}s (medians)")
    print(f"CLI start-up (saeinit --help): {statistics.median(starts['saeinit --help']):.3f}s")
    print(f"whole-process ratio saeinit train / minimal loop: {cli_s / minimal_s:.3f}")


if __name__ == "__main__":
    main()
