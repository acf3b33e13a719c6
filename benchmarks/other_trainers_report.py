"""The table and figures of `other_trainers.py`'s runs: steps and seconds (init included) to a
target FVU per layer and arm, medians over seeds, the ratios of SAELens' default init to
saeinit's, and FVU against steps and against seconds.

    python benchmarks/other_trainers_report.py [--out runs/other-trainers] [--target-fvu 0.3]
        [--figures docs/real-activations]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

LABELS = {
    "saelens": "SAELens default init",
    "mod": "saeinit mod + {encoder}",
    "sparsify": "sparsify default init",
    "sparsify-mod": "saeinit mod + {encoder}",
}
"""Each arm's name in tables and figures ({encoder}: the run's --encoder-init)."""


def label(run: dict) -> str:
    """The name of a run's arm; runs saved before --encoder-init existed had the fitted one."""
    return LABELS[run["arm"]].format(encoder=run.get("encoder_init", "fitted"))


COLOURS = {
    "saelens": "tab:blue",
    "mod": "tab:red",
    "sparsify": "tab:blue",
    "sparsify-mod": "tab:red",
}
PAIRS = {
    "SAELens SAETrainer, standard SAE (ReLU + L1)": ("saelens", "mod"),
    "sparsify Trainer, SparseCoder (TopK)": ("sparsify", "sparsify-mod"),
}
"""Each trainer's baseline arm (its own default init) and saeinit's arm."""


def load_results(paths: list[Path]) -> list[dict]:
    """The finished runs among `paths` (a missing file is a run not done yet)."""
    return [json.loads(path.read_text()) for path in paths if path.exists()]


def crossing(run: dict, target: float, stays: bool = False) -> tuple[int, float] | None:
    """(steps, seconds with the init) at the first evaluation with FVU <= target, or with
    `stays` the first from which every later evaluation is <= target too; None if none."""
    hit = None
    for step, seconds, fvu, _ in run["history"]:
        if fvu > target:
            hit = None
        elif hit is None:
            hit = int(step), run["init_seconds"] + seconds
            if not stays:
                return hit
    return hit


def spread(values: list[float], digits: int) -> str:
    """median [min, max] of `values` (one value: itself)."""
    if not values:
        return "–"
    text = f"{statistics.median(values):,.{digits}f}"
    if len(values) > 1:
        text += f" [{min(values):,.{digits}f}, {max(values):,.{digits}f}]"
    return text


def arm_row(runs: list[dict], target: float) -> tuple[str, dict]:
    """The table row of one arm on one layer, and its median (steps, seconds) to the target
    first and to staying there ({"first": ..., "stays": ...}; None unless every seed got
    there)."""
    cells = [label(runs[0]), spread([run["init_seconds"] for run in runs], 1)]
    cells.append(spread([run["history"][0][2] for run in runs], 3))
    medians = {}
    for kind in ("first", "stays"):
        hits = [hit for hit in (crossing(run, target, kind == "stays") for run in runs) if hit]
        reached = "" if len(hits) == len(runs) else f" ({len(hits)}/{len(runs)})"
        cells += [spread([h[0] for h in hits], 0) + reached]
        cells += [spread([h[1] for h in hits], 1) + reached]
        complete = len(hits) == len(runs)
        medians[kind] = (None, None)
        if complete:
            medians[kind] = tuple(statistics.median(h[i] for h in hits) for i in (0, 1))
    cells += [
        spread([run["final"]["fvu"] for run in runs], 3),
        spread([run["final"]["l0"] for run in runs], 1),
        spread([run["final"]["dead"] for run in runs], 0),
        spread([run["init_seconds"] + run["train_seconds"] for run in runs], 1),
    ]
    return "| " + " | ".join(cells) + " |", medians


def ratio(baseline: float | None, ours: float | None) -> str:
    if baseline is None or ours is None:
        return "– (not every seed got there)"
    if ours == 0:
        return "∞ (saeinit starts at or below the target)"
    return f"{baseline / ours:.2f}x"


def summary_lines(results: list[dict], target: float) -> list[str]:
    """Per layer and trainer, a markdown table of both arms and the ratios of their medians
    (the trainer's default / saeinit)."""
    header = (
        f"| init | init s | FVU at step 0 | steps to FVU ≤ {target} | seconds to it (init "
        f"included) | steps to stay ≤ {target} | seconds to that | final FVU | final L0 | dead "
        "at end | seconds in all (init + training) |"
    )
    lines = []
    for layer in sorted({run["layer"] for run in results}):
        for trainer, arms in PAIRS.items():
            runs = [run for run in results if run["layer"] == layer and run["arm"] in arms]
            if runs:
                lines += pair_lines(runs, layer, trainer, arms, target, header)
    return lines


def fvu_along_lines(results: list[dict], steps=(0, 25, 100, 250, 500, 1000, 2000)) -> list[str]:
    """A markdown table of the median FVU over seeds at a few steps, per layer and arm."""
    lines = ["| layer | init (trainer) | " + " | ".join(f"{s:,}" for s in steps) + " |"]
    lines.append("|" + "---|" * (len(steps) + 2))
    for layer in sorted({run["layer"] for run in results}):
        for trainer, arms in PAIRS.items():
            for arm in arms:
                runs = [r for r in results if r["layer"] == layer and r["arm"] == arm]
                if not runs:
                    continue
                cells = []
                for step in steps:
                    at = [row[2] for run in runs for row in run["history"] if row[0] == step]
                    cells.append(f"{statistics.median(at):.3f}" if at else "–")
                name = f"{label(runs[0])} ({trainer.split(' ')[0]})"
                lines.append(f"| {layer} | {name} | " + " | ".join(cells) + " |")
    return lines


def pair_lines(runs, layer, trainer, arms, target, header) -> list[str]:
    seeds = sorted({run["seed"] for run in runs})
    steps = max(run["steps"] for run in runs)
    lines = [f"Layer {layer}, {trainer}: {steps:,} steps, seeds {seeds}, median [min, max]"]
    lines += ["", header, "|" + "---|" * 11]
    medians = {}
    for arm in arms:
        mine = sorted((run for run in runs if run["arm"] == arm), key=lambda r: r["seed"])
        if mine:
            row, medians[arm] = arm_row(mine, target)
            lines.append(row)
    if len(medians) == 2:
        lines.append("")
        for kind, what in (("first", "first ≤"), ("stays", "staying ≤")):
            (b_steps, b_secs), (o_steps, o_secs) = medians[arms[0]][kind], medians[arms[1]][kind]
            lines.append(
                f"Layer {layer}, {trainer.split(',')[0]}, default / saeinit (ratio of medians), "
                f"{what} {target}: steps {ratio(b_steps, o_steps)}, seconds with the init "
                f"{ratio(b_secs, o_secs)}"
            )
    return [*lines, ""]


def write_figures(results: list[dict], folder: Path, target: float) -> list[Path]:
    """other-trainers-steps.png and other-trainers-seconds.png: FVU against steps, and
    against seconds with the init included; a panel per layer (columns) and trainer (rows), a
    line per arm and seed, and the target FVU dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    layers = sorted({run["layer"] for run in results})
    arms_done = {run["arm"] for run in results}
    trainers = {name: arms for name, arms in PAIRS.items() if arms_done & set(arms)}
    written = []
    for axis, xlabel in (("steps", "trainer steps"), ("seconds", "seconds (init included)")):
        fig, axes = plt.subplots(
            len(trainers), len(layers), figsize=(6 * len(layers), 4 * len(trainers)), squeeze=False
        )
        for row, (trainer, arms) in zip(axes, trainers.items(), strict=True):
            for ax, layer in zip(row, layers, strict=True):
                mine = [r for r in results if r["layer"] == layer and r["arm"] in arms]
                draw_panel(ax, mine, axis)
                ax.axhline(target, color="grey", ls="--", lw=0.8)
                ax.set(title=f"{trainer}\nMiniLM layer {layer}", xlabel=xlabel, ylabel="FVU")
        fig.tight_layout()
        path = folder / f"other-trainers-{axis}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def draw_panel(ax, runs: list[dict], axis: str) -> None:
    """One line per run; x is the step, or the init's seconds plus the training seconds."""
    for run in sorted(runs, key=lambda r: (r["arm"], r["seed"])):
        rows = run["history"]
        if axis == "steps":
            xs = [row[0] for row in rows]
        else:
            xs = [run["init_seconds"] + row[1] for row in rows]
        label = LABELS[run["arm"]] if run["seed"] == min(r["seed"] for r in runs) else None
        ax.plot(xs, [row[2] for row in rows], color=COLOURS[run["arm"]], lw=1, label=label)
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.legend()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/other-trainers"))
    parser.add_argument("--target-fvu", type=float, default=0.3)
    parser.add_argument("--figures", type=Path, default=None)
    args = parser.parse_args()
    results = load_results(sorted(args.out.glob("L*-seed*.json")))
    print("\n".join(summary_lines(results, args.target_fvu)))
    print("Median FVU over seeds at these steps:\n")
    print("\n".join(fvu_along_lines(results)))
    if args.figures is not None:
        for path in write_figures(results, args.figures, args.target_fvu):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
