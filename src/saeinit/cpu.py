"""CPU settings that decide whether a training step takes milliseconds or a quarter second."""

from __future__ import annotations

import os

import torch


def free_cores() -> int:
    """Cores not busy with other work, from the 1-minute load average (at least 1)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = round(os.getloadavg()[0]) if hasattr(os, "getloadavg") else 0
    return max(1, (cores or 1) - busy)


def configure_cpu(threads: int | None) -> int:
    """Set torch's intra-op thread count (default: the free cores) and flush denormal floats to
    zero. Oversubscribed threads make SAE steps many times slower on busy cores
    (docs/performance.md), and denormals appear as tiny decoder gradients of rarely active latents. Returns the count."""
    count = threads if threads is not None else free_cores()
    torch.set_num_threads(count)
    torch.set_flush_denormal(True)
    return count
