"""Progress on stderr, nothing with --no-progress. Training: a live bar on a terminal, a plain
line every few seconds in a log (stderr redirected to a file, a pipe, CI). An init, which has
stages rather than steps: a line per stage once it has run a few seconds."""

from __future__ import annotations

import sys
import time
from typing import TextIO

LOG_INTERVAL = 5.0
"""Seconds between two progress lines when stderr is not a terminal."""
QUIET_SECONDS = 2.0
"""Work with stages prints none of those it reaches sooner than this: a quick init is silent."""


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class Progress:
    """Where training stands, updated at its evaluation points. On a terminal: tqdm's bar. Not
    on a terminal: a line "step S/TOTAL (P%)  name value ...  T s" at most every
    `interval` seconds (and none for a run that ends sooner), so that a log holds a few
    lines, not one update per evaluation point."""

    def __init__(
        self,
        total: int,
        enabled: bool = True,
        stream: TextIO | None = None,
        interval: float | None = None,
    ):
        self.total, self.enabled = total, enabled
        self.interval = LOG_INTERVAL if interval is None else interval
        self.stream = stream if stream is not None else sys.stderr
        self.bar = None
        self.start = self.last = time.perf_counter()
        if enabled and is_terminal(self.stream):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="step", leave=False, file=self.stream)

    def update(self, step: int, **postfix: str) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(step - self.bar.n)
            self.bar.set_postfix(postfix)
            return
        now = time.perf_counter()
        if now - self.last < self.interval:
            return
        self.last = now
        shares = f" ({step / self.total:.0%})" if self.total else ""
        values = "".join(f"  {name} {value}" for name, value in postfix.items())
        line = f"step {step}/{self.total}{shares}{values}  {now - self.start:.0f} s"
        print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class StageLog:
    """The stages of work that has no step count (an init), one line each on stderr:
    "WHAT: STAGE  T s", T the seconds since the log was made. Stages reached within `quiet`
    seconds print nothing, so that only long work reports, and shows where it is."""

    def __init__(
        self,
        what: str,
        enabled: bool = True,
        stream: TextIO | None = None,
        quiet: float | None = None,
    ):
        self.what, self.enabled = what, enabled
        self.quiet = QUIET_SECONDS if quiet is None else quiet
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()

    def __call__(self, stage: str) -> None:
        seconds = time.perf_counter() - self.start
        if self.enabled and seconds >= self.quiet:
            print(f"{self.what}: {stage}  {seconds:.0f} s", file=self.stream, flush=True)
