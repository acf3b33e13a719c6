"""CPU settings that decide whether a training step takes milliseconds or a quarter second.

The default thread count is the number of cores not busy now. The 1-minute load average is a
poor measure of that: it decays slowly, so a job that ended seconds ago still counts as one busy
core (on an idle 2-core machine a run took 1 thread). Where Linux's /proc/loadavg exists, its
fourth field ("running/total") is read instead: the tasks runnable at this instant, this
process's own thread included. It is read a few times over a few milliseconds and the median
taken, so a task that wakes for a moment does not take a core away. A sample of busy time from
/proc/stat would be as current, but its counters tick every 10 ms, so an accurate sample costs
a few hundred milliseconds of start-up; the runnable count costs nothing. Without /proc the
load average is used, as before.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence

LOADAVG = "/proc/loadavg"
READS = 5
"""How many times /proc/loadavg is read; the median runnable count is taken."""
READ_GAP = 0.002
"""Seconds between two reads of /proc/loadavg."""


def allowed_cores() -> int:
    """The cores this process may run on (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def runnable_tasks(loadavg: str) -> int | None:
    """The runnable tasks (threads) at the instant /proc/loadavg was read: the number before the
    slash in its fourth field, e.g. 3 in "0.52 0.67 1.51 3/104 15515"; None when the text does
    not have that form."""
    fields = loadavg.split()
    if len(fields) < 4:
        return None
    running, slash, total = fields[3].partition("/")
    if not slash or not running.isdigit() or not total.isdigit():
        return None
    return int(running)


def busy_from_loadavg(readings: Sequence[str]) -> int | None:
    """Cores that other tasks keep busy: the median runnable count of `readings` (texts of
    /proc/loadavg) minus 1 for this process, which is running while it reads; None when no
    reading can be parsed."""
    counts = [n for n in map(runnable_tasks, readings) if n is not None]
    if not counts:
        return None
    return max(0, round(statistics.median(counts)) - 1)


def choose_threads(cores: int, busy: int | float) -> int:
    """The thread count for `cores` allowed cores of which `busy` are taken (at least 1)."""
    return max(1, cores - round(busy))


def read_loadavg(reads: int = READS, gap: float = READ_GAP) -> list[str]:
    """`reads` texts of /proc/loadavg, `gap` seconds apart (empty where it cannot be read)."""
    readings = []
    for i in range(reads):
        if i:
            time.sleep(gap)
        try:
            with open(LOADAVG) as file:
                readings.append(file.read())
        except OSError:
            return []
    return readings


def busy_cores(
    read: Callable[[], list[str]] = read_loadavg,
    load_average: Callable[[], tuple[float, float, float]] | None = None,
) -> int | float:
    """Cores busy with other work now: from /proc/loadavg's runnable count where it can be read,
    else the 1-minute load average (which lags: it still counts work that just ended), else 0."""
    busy = busy_from_loadavg(read())
    if busy is not None:
        return busy
    if load_average is None and hasattr(os, "getloadavg"):
        load_average = os.getloadavg
    if load_average is None:
        return 0
    try:
        return load_average()[0]
    except OSError:
        return 0


def free_cores() -> int:
    """Cores not busy with other work now (at least 1); see the module docstring."""
    return choose_threads(allowed_cores(), busy_cores())


def configure_cpu(threads: int | None) -> int:
    """Set torch's intra-op thread count (default: the free cores) and flush denormal floats to
    zero. Oversubscribed threads make SAE steps many times slower on busy cores
    (docs/performance.md), and denormals appear as tiny decoder gradients of rarely active latents. Returns the count."""
    import torch  # loaded on use, so that the command line starts without it

    count = threads if threads is not None else free_cores()
    torch.set_num_threads(count)
    torch.set_flush_denormal(True)
    return count
