"""report.md from a result store: what was run, the claims, the two figures and the tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from saeinit.experiments.store import ResultStore
from saeinit.reports.aggregate import Groups, group_runs, run_config, scenarios
from saeinit.reports.claims import claims_table
from saeinit.reports.figures import TARGET, mmcs_figure, rare_ratio_figure, rare_scenarios
from saeinit.reports.tables import initial_mmcs_table, threshold_table
from saeinit.training.config import THRESHOLDS
from saeinit.training.settings import step_unit


def write_report(store: ResultStore, out: Path) -> Path:
    """Write out/report.md and its PNG figures; returns the report's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = store.runs()
    groups = group_runs(runs)
    parts = [header(store.meta(), runs, groups)]
    if runs:
        parts += [
            claims_section(groups),
            curves_section(store, groups, out),
            rare_section(groups, out),
            tables_section(groups),
        ]
    path = out / "report.md"
    path.write_text("\n\n".join(parts) + "\n")
    return path


def config_value(run: dict, section: str, name: str):
    return run_config(run)[section][name]


def distinct(runs: list[dict], value: Callable[[dict], object]) -> list:
    values = {value(run) for run in runs}
    try:
        return sorted(values)
    except TypeError:  # a setting some runs lack (None) beside numbers
        return sorted(values, key=str)


def joined(values: list) -> str:
    return ", ".join(str(value) for value in values)


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def title_lines(meta: dict[str, str], runs: list[dict]) -> list[str]:
    """The store's title and note, and whether it holds no runs (every report starts so)."""
    lines = [f"# {meta.get('title', 'saeinit report')}"]
    if meta.get("note", "").strip():
        lines.append(meta["note"].strip())
    if not runs:
        lines.append("The store holds no finished runs yet.")
    return lines


def header(meta: dict[str, str], runs: list[dict], groups: Groups) -> str:
    lines = title_lines(meta, runs)
    if not runs:
        return "\n\n".join(lines)
    seeds = distinct(runs, lambda run: run["seed"])
    lines.append(
        f"**{counted(len(runs), 'run')}** in {counted(len(groups), 'condition')} "
        f"(scenario × init × rare ratio{' × variant' if any(c.variant for c in groups) else ''}): {counted(len(scenarios(groups)), 'scenario')} "
        f"({joined(scenarios(groups))}), {counted(len(seeds), 'seed')} ({joined(seeds)})."
    )
    lines.append("Budgets:\n\n" + "\n".join(budget_lines(groups)))
    lines += measurement_notes(runs)
    lines += pooled_settings_warnings(groups)
    return "\n\n".join(lines)


def budget_lines(groups: Groups) -> list[str]:
    lines = []
    for scenario in scenarios(groups):
        runs = [run for c, group in groups.items() if c.scenario == scenario for run in group]
        lines.append(f"- {scenario}: " + "; ".join(distinct(runs, budget_text)))
    return lines


def budget_text(run: dict) -> str:
    steps = config_value(run, "train", "max_steps")
    if step_unit(run["result"]) == "epoch":
        return f"{steps:,} steps (one epoch of a fixed dataset each)"
    batch = config_value(run, "train", "batch_size")
    fixed = run_config(run).get("data_file") or config_value(run, "toy", "dataset_size")
    where = "; batches of shuffled epochs of a fixed dataset" if fixed else ""
    return f"{steps:,} steps of {batch} samples ({steps * batch:,} samples{where})"


def stopping_rule(runs: list[dict]) -> str:
    """When the runs stopped: at their --target-mmcs, or at the end of their budget for a
    target of 1, which never stops a run early."""
    targets = distinct(runs, lambda run: config_value(run, "train", "target_mmcs"))
    stopping = [target for target in targets if target < 1]
    rule = f"runs stop once MMCS reaches {joined(stopping)}" if stopping else ""
    if len(stopping) < len(targets):
        whole = "runs with a target of 1 train their whole budget"
        rule = f"{rule}; {whole}" if rule else "runs train their whole budget"
    return rule


def measurement_notes(runs: list[dict]) -> list[str]:
    evals = distinct(runs, lambda run: config_value(run, "train", "eval_every"))
    notes = [
        f"MMCS was checked every {joined(evals)} steps, so a crossing step is exact to within "
        f"that; {stopping_rule(runs)}. Seconds are training time on "
        "the machine that ran the sweep, evaluation excluded; init seconds are reported "
        "separately and added where a column says so."
    ]
    rare = [run for run in runs if run["rare_ratio"] is not None]
    if rare:
        bases = distinct(rare, lambda run: config_value(run, "init", "rare_base"))
        notes.append(
            "The rare inits replace round(rare ratio × atoms) atoms of a base init: "
            f"{joined(bases)}."
        )
    return notes


def pooled_settings_warnings(groups: Groups) -> list[str]:
    """Warn where runs of one condition differ in more than their seed: they are pooled."""
    warnings = []
    for condition, runs in groups.items():
        names = {name for run in runs for name in run["settings"]} - {"seed", "data_seed"}
        differing = sorted(
            name
            for name in names
            if len(distinct(runs, lambda r, n=name: r["settings"].get(n))) > 1
        )
        if differing:
            warnings.append(
                f"**Warning:** the runs of {condition.scenario} {condition.label} differ in "
                f"{joined(differing)}, not only in their seed; they are pooled here."
            )
    return warnings


def claims_section(groups: Groups) -> str:
    return "\n\n".join(
        [
            "## The seed post's claims against our measurements",
            "Each claim is judged per scenario and holds only if it holds in every scenario "
            "measured. Speeds are median samples over seeds, the init's own samples counted "
            "beside the training's (none for runs stored before 2026-12-06, which did not "
            "record them), a run that never reached the threshold counting as slower than any "
            "run that did. Where both compared medians "
            "never reached the claim's threshold, the claim is judged at the highest lower "
            "threshold (0.98, then 0.95) that one of them reached, and the finding names it; "
            'the verdict is "undecided" only where neither reached any.',
            claims_table(groups),
        ]
    )


def curves_section(store: ResultStore, groups: Groups, out: Path) -> str:
    plain = {condition: runs for condition, runs in groups.items() if condition.rare_ratio is None}
    parts = ["## Figure 1: MMCS against steps"]
    if not plain:
        return "\n\n".join([*parts, "The store has no runs of inits without a rare ratio."])
    logged = distinct(
        [run for runs in plain.values() for run in runs],
        lambda run: config_value(run, "train", "log_every"),
    )
    parts.append(
        "Mean MMCS over seeds (line) and its min–max over seeds (band), for the inits that do "
        "not collect rare features (those are in figure 2). A run stops once it reaches its "
        "target MMCS and keeps its last value in the mean and band afterwards; a run that ran "
        f"out of budget ends there. History rows are logged every {joined(logged)} steps and "
        "at the stop; the curve interpolates between them. Dotted lines: 0.95, 0.98 and "
        "0.99. Lower panel: for each init and threshold, a bar from the earliest to the latest "
        "seed's first crossing, a diamond per seed; a label says how many seeds never reached "
        "it."
    )
    for scenario, variant in figure_panels(plain):
        chosen = {
            c: r
            for c, r in plain.items()
            if c.scenario == scenario and variant in (None, c.variant)
        }
        histories = {
            run["key"]: store.history(run["key"]) for runs in chosen.values() for run in runs
        }
        title = f"{scenario} [{variant}]" if variant else scenario
        name = f"fig1_mmcs_{file_slug(title)}.png"
        mmcs_figure(title, chosen, histories, out / name)
        parts.append(f"![Figure 1, {title}: MMCS against steps]({name})")
    return "\n\n".join(parts)


MAX_CURVES = 6
"""A scenario whose conditions (inits x variants) fit in this many curves gets one figure;
one with more gets a figure per variant."""


def figure_panels(groups: Groups) -> list[tuple[str, str | None]]:
    """(scenario, variant) per figure 1; variant None: every variant of the scenario."""
    panels: list[tuple[str, str | None]] = []
    for scenario in dict.fromkeys(c.scenario for c in groups):
        conditions = [c for c in groups if c.scenario == scenario]
        if len(conditions) <= MAX_CURVES:
            panels.append((scenario, None))
        else:
            panels.extend((scenario, v) for v in dict.fromkeys(c.variant for c in conditions))
    return panels


def file_slug(text: str) -> str:
    """A file-name-safe form of a figure title: 128x256 [dict_size=512] -> 128x256_dict_size-512."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text.replace("=", "-")).strip("_")


def rare_section(groups: Groups, out: Path) -> str:
    title = f"## Figure 2: steps to {TARGET} MMCS against the rare ratio"
    if not rare_scenarios(groups):
        return f"{title}\n\nThe store has no runs of the rare inits (average, centroid, outliers)."
    name = "fig2_rare_ratio.png"
    rare_ratio_figure(groups, out / name)
    caption = (
        f"Points: median steps to {TARGET} MMCS over the seeds that reached it; error bars: "
        "min–max over those seeds; one panel per scenario with rare runs, rare ratio on a log "
        "axis (the inits' points are nudged sideways so that they do not hide each other). "
        f"Dashed lines: median steps of data and orthogonal init over their seeds that reached "
        f"{TARGET}. A triangle at the top of a panel marks runs that did not reach {TARGET} "
        "within their budget, with how many of the seeds (k/n); such runs are not plotted as "
        "the budget, and the points beside them are medians of the other seeds only."
    )
    return "\n\n".join([title, caption, f"![Figure 2: steps to {TARGET} MMCS]({name})"])


def tables_section(groups: Groups) -> str:
    parts = [
        "## Step-0 MMCS",
        "Median [min, max] over seeds of MMCS before training, of the final MMCS, and of the "
        "seconds the init took.",
        initial_mmcs_table(groups),
        "## Steps, samples and seconds to each MMCS threshold",
        "Median [min, max] over the seeds that reached the threshold. A threshold some seeds "
        "never reached says how many did and how far the others trained; it is never counted "
        "as the budget. Training seconds exclude the init; init + training seconds add it.",
    ]
    for threshold in THRESHOLDS:
        parts += [f"### MMCS ≥ {threshold}", threshold_table(groups, threshold)]
    return "\n\n".join(parts)
