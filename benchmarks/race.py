"""The race of docs/informed-init.md: `saeinit race` with this script's options and defaults
(every scenario, five seeds, raw data beside orthogonal init, scikit-learn raced for 60 s).

    python benchmarks/race.py [--seeds 0 1 2 3 4] [--scenarios 128x256 128x512 128x1024]
                              [--best mod+fitted mod] [--baselines orthogonal data]
                              [--store race.sqlite] [--sklearn-seconds 60] [--workers N]

The first --baselines entry is the baseline and the first --best entry the best: the ratios
are baseline / best. The table is `saeinit race`'s (saeinit.reports.race), whose samples count
the init's own beside the training's; the figure goes beside the store as race.png. A --best of
modes+whitened races under the recommended recipe of each scenario (docs/recommendation.md). Runs are logged every 500 steps, as before this script called
the library, so that stores it wrote then are resumed, not recomputed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from saeinit.experiments.race_config import RaceConfig
from saeinit.reports.race import race_report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--scenarios", nargs="+", default=["128x256", "128x512", "128x1024"])
    parser.add_argument("--best", nargs="+", default=["mod+fitted"], help="INIT or INIT+ENCODER")
    parser.add_argument("--baselines", nargs="+", default=["orthogonal", "data"])
    parser.add_argument("--store", default="race.sqlite")
    parser.add_argument("--sklearn-seconds", type=float, default=60.0, help="0: not raced")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    entries = [args.baselines[0], args.best[0], *args.baselines[1:], *args.best[1:]]
    race_report(
        RaceConfig(
            entries=" ".join(entries),
            scenarios=" ".join(args.scenarios),
            seeds=" ".join(str(seed) for seed in args.seeds),
            out=str(Path(args.store).parent),
            store=args.store,
            log_every=500,
            workers=args.workers,
            sklearn_seconds=args.sklearn_seconds or None,
        )
    )


if __name__ == "__main__":
    main()
