"""report.md for runs without ground truth (real activations): FVU, loss and dead latents
against steps and seconds, the FVU and dead fraction at the step budget, the steps, samples
and seconds to the target FVU against orthogonal init, and the MMCS between the dictionaries
of different seeds (the proxy of Sharkey et al. when no ground truth is known)."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from safetensors import SafetensorError  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

from saeinit.experiments.store import ResultStore  # noqa: E402
from saeinit.inits import get as get_init  # noqa: E402
from saeinit.metrics import seed_mmcs  # noqa: E402
from saeinit.models.io import WEIGHTS_FILE  # noqa: E402
from saeinit.reports.aggregate import (  # noqa: E402
    CONDITION_SETTINGS,
    condition_label,
    init_rank,
    variants,
)
from saeinit.reports.figures import init_color, save, variant_style  # noqa: E402
from saeinit.reports.tables import (  # noqa: E402
    format_count,
    format_mmcs,
    format_seconds,
    format_spread,
    markdown_table,
)

BASELINE = "orthogonal"


@dataclass(frozen=True)
class Group:
    """What the seeds of one group of runs share: the data (hook), the init and the other
    settings in which the store's runs differ (the variant, as in the MMCS report)."""

    data: str
    init: str
    rare_ratio: float | None
    variant: str = ""

    @property
    def label(self) -> str:
        return condition_label(self.init, self.rare_ratio, self.variant)


def data_label(result: dict) -> str:
    info = result.get("data_info") or {}
    if "hook_name" in info:
        return f"{info['model']} {info['hook_name']}"
    return result["config"].get("data_file") or "toy data"


def group_runs(runs: list[dict]) -> dict[Group, list[dict]]:
    groups: dict[Group, list[dict]] = defaultdict(list)
    # A group names its data (the activations) by itself, so the data is no variant.
    labels = variants(runs, named=CONDITION_SETTINGS | {"activations"})
    for run, variant in zip(runs, labels, strict=True):
        result = run["result"]
        init = result["config"]["init"]
        ratio = init["rare_ratio"] if get_init(init["init"]).uses_base else None
        groups[Group(data_label(result), init["init"], ratio, variant)].append(run)
    order = sorted(
        groups, key=lambda g: (g.data, init_rank(g.init), g.rare_ratio or 0.0, g.variant)
    )
    return {g: sorted(groups[g], key=lambda run: run["seed"]) for g in order}


def write_fvu_report(store: ResultStore, out: Path) -> Path:
    """Write out/report.md and its figures for the runs in `store`; returns the path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = store.runs()
    groups = group_runs(runs)
    meta = store.meta()
    parts = [f"# {meta.get('title', 'saeinit report')}"]
    if meta.get("note", "").strip():
        parts.append(meta["note"].strip())
    if not runs:
        parts.append("The store holds no finished runs yet.")
    for data in dict.fromkeys(g.data for g in groups):
        chosen = {g: r for g, r in groups.items() if g.data == data}
        parts.append(data_section(data, chosen, out))
    path = out / "report.md"
    path.write_text("\n\n".join(parts) + "\n")
    return path


def data_section(data: str, groups: dict[Group, list[dict]], out: Path) -> str:
    runs = [run for group in groups.values() for run in group]
    first = runs[0]["result"]
    target = target_fvu(runs)
    name = "fvu_" + "".join(c if c.isalnum() else "_" for c in data).strip("_") + ".png"
    curves_figure(data, groups, out / name)
    parts = [
        f"## {data}",
        settings_text(first, runs),
        f"![{data}: FVU, loss and dead fraction against steps and seconds]({name})",
        "Mean over seeds (line) and min–max over seeds (band), from the history rows logged "
        f"every {first['config']['train']['log_every']} steps. FVU, L0 and dead latents are "
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


def checkpoint_table(groups: dict[Group, list[dict]]) -> str:
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
    targets = {run["result"]["config"]["train"]["target_fvu"] for run in runs}
    return next(iter(targets)) if len(targets) == 1 else None


def settings_text(result: dict, runs: list[dict]) -> str:
    config = result["config"]
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


def curves_figure(data: str, groups: dict[Group, list[dict]], path: Path) -> Path:
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), layout="constrained")
    panels = [
        (axes[0, 0], "step", "fvu", "FVU (held out)", True),
        (axes[0, 1], "seconds", "fvu", "FVU (held out)", True),
        (axes[1, 0], "step", "loss", "loss (MSE + L1 term)", True),
        (axes[1, 1], "step", "dead_fraction", "dead fraction", False),
    ]
    variants_shown = list(dict.fromkeys(group.variant for group in groups))
    for group, runs in groups.items():
        histories = [run["result"]["history"] for run in runs]
        for ax, xkey, ykey, _, _ in panels:
            xs, mean, low, high = curve(histories, xkey, ykey)
            color = init_color(group.init)
            style = variant_style(group.variant, variants_shown)
            label = f"{group.label} ({len(runs)} seeds)" if ax is axes[0, 0] else None
            ax.plot(xs, mean, color=color, ls=style, label=label, lw=1.3)
            ax.fill_between(xs, low, high, color=color, alpha=0.15, lw=0)
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


def curve(histories: list[list[dict]], xkey: str, ykey: str):
    """Mean, min and max of ykey over runs at the steps all of them logged; x is the step, or
    the mean of xkey over runs at those steps."""
    steps = sorted(set.intersection(*({row["step"] for row in h} for h in histories)))
    table = np.array([[by_step(h)[s][ykey] for s in steps] for h in histories], dtype=float)
    if xkey == "step":
        xs = np.array(steps, dtype=float)
    else:
        xs = np.array([[by_step(h)[s][xkey] for s in steps] for h in histories]).mean(axis=0)
    return xs, table.mean(axis=0), table.min(axis=0), table.max(axis=0)


def by_step(history: list[dict]) -> dict[int, dict]:
    return {row["step"]: row for row in history}


def budget_table(groups: dict[Group, list[dict]], target: float | None) -> str:
    baseline = next((runs for g, runs in groups.items() if g.init == BASELINE), None)
    base_steps = base_seconds = None
    if baseline and target is not None:
        base_steps = median_or_none(crossings(baseline, target, "step"))
        base_seconds = median_or_none(crossings(baseline, target, "seconds"))
    budgets = sorted(
        {run["result"]["config"]["train"]["max_steps"] for r in groups.values() for run in r}
    )
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
