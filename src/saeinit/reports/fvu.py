"""report.md for runs without ground truth (real activations, or a dataset without features):
FVU, loss and dead latents against steps and seconds, the FVU and dead fraction at the step
budget, the steps, samples and seconds to the target FVU against orthogonal init, and the MMCS
between the dictionaries of different seeds (the proxy of Sharkey et al. when no ground truth
is known). Runs are grouped as in the MMCS report (aggregate.py), one section per data."""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from safetensors import SafetensorError  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

from saeinit.experiments.store import ResultStore  # noqa: E402
from saeinit.metrics import seed_mmcs  # noqa: E402
from saeinit.models.io import WEIGHTS_FILE  # noqa: E402
from saeinit.reports.aggregate import (  # noqa: E402
    CONDITION_SETTINGS,
    Condition,
    Groups,
    by_step,
    group_runs,
    history_curve,
    run_config,
    scenarios,
)
from saeinit.reports.figures import plot_band, save  # noqa: E402
from saeinit.reports.report import title_lines  # noqa: E402
from saeinit.reports.tables import (  # noqa: E402
    format_count,
    format_mmcs,
    format_seconds,
    format_spread,
    markdown_table,
)

BASELINE = "orthogonal"


NAMED = CONDITION_SETTINGS | {"activations", "data_file"}
"""A group names its data by itself, so the data is no variant."""


def fvu_groups(runs: list[dict]) -> Groups:
    """Runs by data, init, rare ratio and variant; each init's variants side by side."""
    return group_runs(runs, named=NAMED, order=Condition.init_key)


def write_fvu_report(store: ResultStore, out: Path) -> Path:
    """Write out/report.md and its figures for the runs in `store`; returns the path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = store.runs()
    groups = fvu_groups(runs)
    parts = title_lines(store.meta(), runs)
    for data in scenarios(groups):
        chosen = {c: r for c, r in groups.items() if c.scenario == data}
        parts.append(data_section(data, chosen, out))
    path = out / "report.md"
    path.write_text("\n\n".join(parts) + "\n")
    return path


def data_section(data: str, groups: Groups, out: Path) -> str:
    runs = [run for group in groups.values() for run in group]
    first = runs[0]
    target = target_fvu(runs)
    name = "fvu_" + "".join(c if c.isalnum() else "_" for c in data).strip("_") + ".png"
    curves_figure(data, groups, out / name)
    parts = [
        f"## {data}",
        settings_text(first, runs),
        f"![{data}: FVU, loss and dead fraction against steps and seconds]({name})",
        "Mean over seeds (line) and min–max over seeds (band), from the history rows logged "
        f"every {run_config(first)['train']['log_every']} steps. FVU, L0 and dead latents are "
        "measured on the held-out tokens; a latent is dead if it never fires on them. "
        "Seconds are training seconds (evaluation and the init excluded).",
        "### At the step budget, and to the target FVU",
        budget_table(groups, target),
        "Cells: median [min, max] over seeds. Steps, samples and seconds to the target count "
        "only the seeds that reached it (k/n says how many did); a seed that did not is never "
        "counted as the budget. *vs orthogonal*: median steps (and median training seconds) "
        "to the target over orthogonal init's, below 1 is faster. *MMCS between seeds*: for "
        "each pair of seeds, the mean over the atoms of one dictionary of their best cosine "
        "with the other's, averaged both ways, then over pairs. *ms per step*: training seconds "
        "over steps of the whole run; every init trains the same model, so its spread is the "
        "machine's load, not the init.",
        "### FVU after a few step budgets",
        "Median over seeds of the held-out FVU at these logged steps (`–` where a run did not "
        "log that step).",
        checkpoint_table(groups),
    ]
    return "\n\n".join(parts)


CHECKPOINTS = (100, 200, 300, 500, 1000)


def checkpoint_table(groups: Groups) -> str:
    budget = max(run["result"]["steps"] for runs in groups.values() for run in runs)
    steps = [s for s in CHECKPOINTS if s < budget] + [budget]
    rows = []
    for group, runs in groups.items():
        cells = [group.label]
        for step in steps:
            values = [
                by_step(run["result"]["history"])[step]["fvu"]
                for run in runs
                if step in by_step(run["result"]["history"])
            ]
            cells.append(f"{statistics.median(values):.3f}" if values else "–")
        rows.append(cells)
    return markdown_table(["init", *(f"{s:,} steps" for s in steps)], rows)


def target_fvu(runs: list[dict]) -> float | None:
    targets = {run_config(run)["train"]["target_fvu"] for run in runs}
    return next(iter(targets)) if len(targets) == 1 else None


def settings_text(run: dict, runs: list[dict]) -> str:
    result, config = run["result"], run_config(run)
    info = result.get("data_info") or {}
    train, sae = config["train"], config["sae"]
    seeds = sorted({run["seed"] for run in runs})
    lines = []
    if info:
        lines.append(
            f"Data: {info.get('count', '?'):,} tokens of {info.get('corpus', '?')} "
            f"(context {info.get('context_size', '?')}), width {info.get('d_in', '?')}; the last "
            f"{info.get('eval_tokens', '?'):,} tokens are held out for evaluation, the other "
            f"{info.get('train_tokens', '?'):,} are drawn through a shuffling buffer of "
            f"{config['acts']['buffer_size']:,} tokens."
        )
    lines.append(
        f"SAE: {result['dict_size']} latents, L1 {sae['l1']}, b_dec {sae['b_dec']}"
        f"{' (subtracted from the input)' if sae['b_dec'] != 'none' and sae['apply_b_dec_to_input'] else ''}, "
        f"normalisation {sae['normalize_activations']}. Training: Adam lr {train['lr']}, "
        f"batches of {train['batch_size']} tokens, {train['max_steps']:,} steps "
        f"({train['max_steps'] * train['batch_size']:,} tokens), target FVU "
        f"{train['target_fvu']} checked every {train['eval_every']} steps, "
        f"{len(seeds)} seeds ({', '.join(map(str, seeds))}), {len(runs)} runs."
    )
    return " ".join(lines)


def curves_figure(data: str, groups: Groups, path: Path) -> Path:
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), layout="constrained")
    panels = [
        (axes[0, 0], "step", "fvu", "FVU (held out)", True),
        (axes[0, 1], "seconds", "fvu", "FVU (held out)", True),
        (axes[1, 0], "step", "loss", "loss (MSE + L1 term)", True),
        (axes[1, 1], "step", "dead_fraction", "dead fraction", False),
    ]
    variants_shown = list(dict.fromkeys(condition.variant for condition in groups))
    for condition, runs in groups.items():
        histories = [run["result"]["history"] for run in runs]
        for ax, xkey, ykey, _, _ in panels:
            curve = history_curve(histories, xkey, ykey)
            label = f"{condition.label} ({len(runs)} seeds)" if ax is axes[0, 0] else None
            plot_band(ax, curve, condition, variants_shown, label, alpha=0.15, lw=1.3)
    target = target_fvu([run for runs in groups.values() for run in runs])
    for ax, xkey, ykey, ylabel, log in panels:
        xlabel = "training seconds (mean over seeds)" if xkey == "seconds" else "steps"
        ax.set(xlabel=xlabel, ylabel=ylabel)
        if log:
            ax.set_yscale("log")
        if ykey == "fvu" and target is not None:
            ax.axhline(target, color="gray", ls=":", lw=1)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, title="init", title_fontsize=8)
    fig.suptitle(f"{data}: FVU, loss and dead latents (dotted: target FVU {target})")
    return save(fig, path)


def budget_table(groups: Groups, target: float | None) -> str:
    baseline = next((runs for g, runs in groups.items() if g.init == BASELINE), None)
    base_steps = base_seconds = None
    if baseline and target is not None:
        base_steps = median_or_none(crossings(baseline, target, "step"))
        base_seconds = median_or_none(crossings(baseline, target, "seconds"))
    budgets = sorted({run_config(run)["train"]["max_steps"] for r in groups.values() for run in r})
    at = f"{budgets[0]:,} steps" if len(budgets) == 1 else "the budget"
    header = [
        "init",
        "FVU at step 0",
        f"FVU at {at}",
        f"dead fraction at {at}",
        f"L0 at {at}",
        f"steps to FVU ≤ {target}",
        "samples to it",
        "training seconds to it",
        "init seconds",
        "vs orthogonal: steps (seconds)",
        "MMCS between seeds",
        "ms per step",
    ]
    rows = []
    for group, runs in groups.items():
        finals = [run["result"]["final"] for run in runs]
        steps = crossings(runs, target, "step") if target is not None else []
        reached = f" ({len(steps)}/{len(runs)})" if len(steps) < len(runs) else ""
        rows.append(
            [
                group.label,
                format_spread([run["result"]["history"][0]["fvu"] for run in runs], format_mmcs),
                format_spread([row["fvu"] for row in finals], format_mmcs),
                format_spread(
                    [
                        row["dead"] / run["result"]["dict_size"]
                        for row, run in zip(finals, runs, strict=True)
                    ],
                    format_mmcs,
                ),
                format_spread([row["l0"] for row in finals], fmt1),
                (format_spread(steps, format_count) + reached)
                if steps
                else f"not reached (0/{len(runs)})",
                format_spread(crossings(runs, target, "samples"), format_count) if steps else "–",
                format_spread(crossings(runs, target, "seconds"), format_seconds) if steps else "–",
                format_spread([run["result"]["init_seconds"] for run in runs], format_seconds),
                ratio_text(
                    steps, crossings(runs, target, "seconds"), base_steps, base_seconds, len(runs)
                ),
                pair_mmcs_text(runs),
                format_spread(
                    [
                        1000 * r["result"]["train_seconds"] / max(1, r["result"]["steps"])
                        for r in runs
                    ],
                    fmt1,
                ),
            ]
        )
    return markdown_table(header, rows)


def crossings(runs: list[dict], target: float | None, part: str) -> list[float]:
    if target is None:
        return []
    key = f"{target:g}"
    values = []
    for run in runs:
        hit = run["result"].get("fvu_thresholds", {}).get(key)
        if hit is not None:
            values.append(hit[part])
    return values


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio_text(steps, seconds, base_steps, base_seconds, n_runs) -> str:
    if not steps or base_steps is None or len(steps) < n_runs:
        return "–"
    return f"{statistics.median(steps) / base_steps:.2f} ({statistics.median(seconds) / base_seconds:.2f})"


def pair_mmcs_text(runs: list[dict]) -> str:
    values = pair_mmcs(runs)
    if not values:
        return "–"
    return f"{statistics.mean(values):.3f} ({len(values)} pairs)"


def pair_mmcs(runs: list[dict]) -> list[float]:
    """MMCS between the saved dictionaries of each pair of seeds (empty if not saved)."""
    atoms = []
    for run in runs:
        folder = run["result"].get("saved_to")
        if not folder:
            continue
        try:
            atoms.append(load_file(Path(folder) / WEIGHTS_FILE)["W_dec"])
        except (OSError, SafetensorError, KeyError):
            continue
    return [seed_mmcs(a, b) for a, b in itertools.combinations(atoms, 2)]


def fmt1(value: float) -> str:
    return f"{value:.1f}"
