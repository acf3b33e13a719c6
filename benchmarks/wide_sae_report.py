"""The table and figures of `wide_sae.py`'s runs.

For each trainer and width: per start, medians [min, max] over seeds of the init's seconds
and tokens, FVU at the start and at the end, the final L0 and dead latents, the latents that
did not fire in the last quarter of training, the seconds in all; for saeinit's start, the
tokens (its init sample included) and seconds (its init included) at which it first reaches
the default run's end-of-budget FVU of the same seed, and for the default the tokens and
seconds at which it first reaches that value itself. The ratios are those of the medians
(default / saeinit: above 1, saeinit sooner).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from other_trainers_report import spread

LABELS = {
    "batchtopk": "SAELens SAETrainer, BatchTopK",
    "jumprelu": "SAELens SAETrainer, JumpReLU",
    "matryoshka": "SAELens SAETrainer, Matryoshka BatchTopK",
    "sparsify": "sparsify Trainer, TopK SparseCoder",
}
FIXED_L0 = {"batchtopk", "matryoshka", "sparsify"}
"""Trainers whose L0 is k by construction; JumpReLU's crossing also asks for L0 at or below
the default's final L0."""


def rows(run: dict) -> list[dict]:
    """A run's history as dicts, with the tokens (the init's sample counted) and the seconds
    (the init's included) of each evaluation."""
    out = []
    for step, seconds, fvu, l0, dead in run["history"]:
        out.append(
            {
                "step": int(step),
                "tokens": run["init_tokens"] + int(step) * run["batch"],
                "seconds": run["init_seconds"] + seconds,
                "fvu": fvu,
                "l0": l0,
                "dead": dead,
            }
        )
    return out


def reaches(run: dict, fvu: float, l0: float | None = None) -> dict | None:
    """The first evaluation of `run` at or below `fvu` (and, given, at or below `l0`)."""
    for row in rows(run):
        if row["fvu"] <= fvu and (l0 is None or row["l0"] <= l0):
            return row
    return None


def crossings(default: dict, ours: dict) -> tuple[dict | None, dict | None]:
    """Where each run of a seed first reaches the default's final FVU (at matched L0 for a
    trainer whose L0 is free): (the default's own, saeinit's)."""
    final = default["final"]
    l0 = None if default["trainer"] in FIXED_L0 else final["l0"]
    return reaches(default, final["fvu"], l0), reaches(ours, final["fvu"], l0)


def pairs(results: list[dict]) -> dict[tuple[str, int], list[tuple[dict, dict]]]:
    """{(trainer, width): [(default run, saeinit run) per seed having both]}."""
    runs = {(r["trainer"], r["width"], r["seed"], r["start"]): r for r in results}
    out: dict[tuple[str, int], list[tuple[dict, dict]]] = {}
    for trainer, width, seed, start in sorted(runs):
        if start == "default" and (trainer, width, seed, "saeinit") in runs:
            pair = runs[trainer, width, seed, "default"], runs[trainer, width, seed, "saeinit"]
            out.setdefault((trainer, width), []).append(pair)
    return out


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def unfired(runs: list[dict]) -> str:
    """The latents that did not fire in the last quarter of training, as the trainer counts
    them; n/a for runs recorded before it was counted."""
    counts = [run["final"].get("unfired") for run in runs]
    return "n/a" if None in counts else spread(counts, 0)


def table(trainer: str, width: int, seeds: list[tuple[dict, dict]]) -> tuple[list[str], dict]:
    """The markdown lines of one trainer and width, and the medians the ratios use."""
    head = (
        "| init | init s | init tokens | FVU at 0 | final FVU | final L0 | dead at end | "
        "unfired in the last quarter | "
        "tokens to default's final FVU | seconds to it (init included) | seconds in all |"
    )
    lines = [head, "|" + "---|" * 11]
    medians = {}
    for index, start in enumerate(("default", "saeinit")):
        runs = [pair[index] for pair in seeds]
        hits = [crossings(*pair)[index] for pair in seeds]
        got = [hit for hit in hits if hit is not None]
        count = "" if len(got) == len(hits) else f" ({len(got)}/{len(hits)})"
        medians[start] = {
            "tokens": _median([hit["tokens"] for hit in got]) if len(got) == len(hits) else None,
            "seconds": _median([hit["seconds"] for hit in got]) if len(got) == len(hits) else None,
        }
        end = [run["init_seconds"] + run["train_seconds"] for run in runs]
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{start} ({runs[0]['init']} + {runs[0]['encoder_init']})"
                    if start == "saeinit"
                    else "library default",
                    spread([run["init_seconds"] for run in runs], 1),
                    spread([run["init_tokens"] for run in runs], 0),
                    spread([run["history"][0][2] for run in runs], 3),
                    spread([run["final"]["fvu"] for run in runs], 3),
                    spread([run["final"]["l0"] for run in runs], 1),
                    spread([run["final"]["dead"] for run in runs], 0),
                    unfired(runs),
                    spread([hit["tokens"] for hit in got], 0) + count,
                    spread([hit["seconds"] for hit in got], 1) + count,
                    spread(end, 1),
                ]
            )
            + " |"
        )
    return lines, medians


def summary_lines(results: list[dict]) -> list[str]:
    """Every trainer and width's table and ratios, as markdown lines."""
    lines = []
    for (trainer, width), seeds in pairs(results).items():
        first = seeds[0][0]
        names = [pair[0]["seed"] for pair in seeds]
        sparsity = (
            f"k {first['k']}"
            if trainer in FIXED_L0
            else f"SAELens' default L0 coefficient, thresholds from L0 {first['k']}"
        )
        lines.append(
            f"\n{LABELS[trainer]}, width {width:,}, {sparsity}, batch {first['batch']:,}, "
            f"{first['tokens'] // first['batch']:,} steps ({first['tokens']:,} tokens), "
            f"seeds {names}, median [min, max]\n"
        )
        body, medians = table(trainer, width, seeds)
        lines.extend(body)
        default, ours = medians["default"], medians["saeinit"]
        if ours["tokens"] and default["tokens"]:
            lines.append(
                f"\n{LABELS[trainer]}, width {width:,}, default / saeinit to the default's final "
                f"FVU: tokens {default['tokens'] / ours['tokens']:.2f}x, seconds with the init "
                f"{default['seconds'] / ours['seconds']:.2f}x"
            )
        else:
            lines.append(
                f"\n{LABELS[trainer]}, width {width:,}: saeinit did not reach the default's "
                "final FVU in every seed"
            )
    return lines


def write_figures(results: list[dict], folder: Path) -> list[Path]:
    """FVU against tokens and against seconds (init included), and L0 against tokens where a
    trainer's L0 is free (JumpReLU), a panel per trainer and width, a line per run (blue:
    library default, red: saeinit)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = pairs(results)
    if not groups:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    figures = [("fvu", "tokens"), ("fvu", "seconds")]
    free = {key: seeds for key, seeds in groups.items() if key[0] not in FIXED_L0}
    written = []
    for metric, axis in figures + ([("l0", "tokens")] if free else []):
        shown = groups if metric == "fvu" else free
        figure, panels = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4), squeeze=False)
        for panel, ((trainer, width), seeds) in zip(panels[0], shown.items(), strict=True):
            draw_panel(panel, seeds, metric, axis)
            panel.set_title(f"{LABELS[trainer]}\nwidth {width:,}", fontsize=9)
        figure.tight_layout()
        path = folder / f"wide-{metric}-{axis}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written


def draw_panel(panel, seeds: list[tuple[dict, dict]], metric: str, axis: str) -> None:
    """One trainer and width: `metric` (fvu or l0) of every run against `axis`, with the
    default's final value as a dashed line."""
    for default, ours in seeds:
        for run, colour in ((default, "tab:blue"), (ours, "tab:red")):
            points = rows(run)
            panel.plot(
                [p[axis] for p in points],
                [p[metric] for p in points],
                color=colour,
                label=f"{run['start']} seed {run['seed']}",
            )
        panel.axhline(default["final"][metric], color="grey", linestyle="--", lw=0.8)
    panel.set_xlim(left=0)
    if metric == "fvu":
        top = max(run["history"][0][2] for pair in seeds for run in pair)
        panel.set_ylim(0, min(1.5, top + 0.1))
    else:
        panel.set_ylim(bottom=0)
    panel.set_xlabel(
        "tokens (init sample included)" if axis == "tokens" else "seconds (init included)"
    )
    panel.set_ylabel("held-out FVU" if metric == "fvu" else "held-out L0")
    panel.legend(fontsize=7)
