"""The race on a synthetic world: its printed table (SAELens' metrics at the start and the end,
the samples and seconds to the baseline's end-of-budget MCC and F1) and race.png (MCC and F1
against samples and against seconds, the init's included)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path

from saeinit.experiments.world_race import TARGETS, WorldRace, seed_ratios, world_race
from saeinit.models.config import reads_setting
from saeinit.reports.race import int_list, table_row

SHOWN = (
    ("MCC", "mcc", 3), ("F1", "f1", 3), ("precision", "precision", 3), ("recall", "recall", 3),
    ("uniqueness", "uniqueness", 3), ("explained variance", "explained_variance", 3),
    ("L0", "l0", 1), ("dead latents", "dead", 0),
)  # fmt: skip
NAMES = {"mcc": "MCC", "f1": "F1"}
K_SETTINGS = ("batchtopk_k", "k")
"""The settings that hold an architecture's k, where it has one (JumpReLU and ReLU do not)."""


def world_race_report(config, echo: Callable[[str], None] = print) -> WorldRace:
    """Run the world's race (resuming from its store), print its table, write race.png."""
    result = world_race(config, echo)
    for line in world_race_lines(result):
        echo(line)
    echo(f"wrote {world_race_figure(result, Path(config.out) / 'race.png')}")
    return result


def world_race_lines(found: WorldRace) -> list[str]:
    config, info = found.config, found.info
    entries, names = config.entry_list(), config.pair()
    seeds = config.seed_list()
    first = found.runs[entries[0]][0]["result"]
    train, sae = first["config"]["train"], first["config"]["sae"]
    which = f"seed {seeds[0]}" if len(seeds) == 1 else f"medians over seeds {int_list(seeds)}"
    budget = config.budget("") * train["batch_size"]
    read = [name for name in K_SETTINGS if reads_setting(sae["architecture"], name)]
    k = f" k {sae[read[0]]:g}" if read else ""
    lines = [
        "",
        f"{info['synthetic']} ({info['num_features']:,} features in {info['hidden_dim']} "
        f"dimensions), {which}; {sae['architecture']} width {first['dict_size']:,}{k}, "
        f"lr {train['lr']:g}, batch {train['batch_size']:,}, {budget:,} training samples each"
        + (f"; recipe: {config.recipe}" if config.recipe else ""),
        table_row("", entries, f"{names[0]} / {names[1]}"),
    ]
    for when in ("start", "end"):
        lines.append(f"at the {when}")
        for label, metric, digits in SHOWN:
            cells = [f"{getattr(found.numbers[e], when)[metric]:.{digits}f}" for e in entries]
            lines.append(table_row(f"  {label}", cells))
    lines.append(
        table_row("init samples", [f"{found.numbers[e].init_samples:,.0f}" for e in entries])
    )
    lines.append(
        table_row("init seconds", [f"{found.numbers[e].init_seconds:.2f}" for e in entries])
    )
    for metric in TARGETS:
        targets = found.targets[metric]
        lines.append(f"to {NAMES[metric]} {targets_text(targets)} ({names[0]}'s end)")
        for part, label in (("samples", "samples (+init)"), ("seconds", "seconds (+init)")):
            reaches = [found.numbers[e].reach[metric] for e in entries]
            cells = [_cell(r, part, len(seeds)) for r in reaches]
            pair = [found.numbers[name].reach[metric] for name in names]
            ratios = seed_ratios(*pair, part)
            lines.append(table_row(f"  {label}", cells, ratio_text(ratios, names[1])))
            if len(ratios) > 1:
                by_seed = "  ".join(
                    f"{s}: {ratio_text({s: r}, names[1])}" for s, r in ratios.items()
                )
                lines.append(f"    by seed  {by_seed}")
    lines += [
        f"targets: each seed's {names[0]} MCC and F1 at the end of its budget; samples (+init):",
        "training samples plus the init's own; seconds (+init): training seconds plus the",
        "init's, each run on one torch thread; ratios: medians of the seeds' ratios; metrics by",
        f"SAELens' eval_sae_on_synthetic_data on {train['eval_samples']:,} held-out samples",
    ]
    return lines


def targets_text(targets: dict[int, float]) -> str:
    values = list(targets.values())
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.median(values):.3f} (median; {min(values):.3f}-{max(values):.3f})"


def ratio_text(ratios: dict[int, float | None], fast: str) -> str:
    """The median of the seeds' ratios (a seed whose best entry never reached its target
    counts lowest, one where it starts at or above it highest), or why there is none."""
    values = [0.0 if v is None else v for v in ratios.values()]
    if not values:
        return "no seed to compare"
    if values.count(0.0) * 2 >= len(values):
        return f"not reached by {fast}"
    at_start = values.count(float("inf"))
    if at_start * 2 > len(values):
        return f"{fast} starts at or above it"
    if at_start * 2 == len(values):  # the usual median would be inf: the largest finite one
        return f"{max(v for v in values if v != float('inf')):.2f}x"
    return f"{statistics.median(values):.2f}x"


def _cell(reach, part: str, seeds: int) -> str:
    value = getattr(reach, part)
    if value is None:
        return "not reached"
    text = f"{value:,.2f}" if part == "seconds" else f"{value:,.0f}"
    return text if reach.reached == seeds else f"{text} ({reach.reached}/{seeds})"


def world_race_figure(found: WorldRace, path: Path) -> Path:
    """MCC and F1 (rows) against samples with the init's and against seconds with the init's
    (columns), one line per entry and seed; each seed's targets dotted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from saeinit.reports.figures import init_color, variant_style

    entries = found.config.entry_list()
    encoders = list(dict.fromkeys(entry.partition("+")[2] for entry in entries))
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharey="row", layout="constrained")
    for (by_samples, by_seconds), metric in zip(axes, TARGETS, strict=True):
        for entry in entries:
            init, _, encoder = entry.partition("+")
            style = {"color": init_color(init), "ls": variant_style(encoder, encoders)}
            for run in found.runs[entry]:
                label = f"{entry} (seed {run['seed']})" if len(found.runs[entry]) > 1 else entry
                rows, extra = run["history"], run["result"].get("init_samples", 0)
                values = [row[metric] for row in rows]
                by_samples.plot([r["samples"] + extra for r in rows], values, label=label, **style)
                seconds = [r["seconds"] + run["init_seconds"] for r in rows]
                by_seconds.plot(seconds, values, label=label, **style)
        for ax, axis in (
            (by_samples, "samples, the init's included"),
            (by_seconds, "seconds, the init's included"),
        ):
            for target in set(found.targets[metric].values()):
                ax.axhline(target, color="gray", ls=":", lw=0.8)
            ax.set(xlabel=axis, title=f"{found.info['synthetic']}: {NAMES[metric]} against {axis}")
            ax.grid(alpha=0.3)
        by_samples.set_ylabel(NAMES[metric])
    axes[0][0].legend(loc="lower right", fontsize=8, title="dotted: the targets", title_fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
