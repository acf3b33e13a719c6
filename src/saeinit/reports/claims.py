"""The seed post's claims beside what the store measured, each with a verdict.

Each claim is judged per scenario; the claim holds if it holds in every scenario measured.
Speeds are median steps over seeds, a run that never reached the threshold counting as slower
than any run that did; two medians that both never reached it decide nothing.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from saeinit.reports.aggregate import (
    STEPS,
    Groups,
    Outcomes,
    find,
    format_ratio,
    measured,
    outcomes,
    scenarios,
)
from saeinit.reports.tables import format_mmcs, markdown_table

HOLDS = "holds"
FAILS = "does not hold"
NOT_MEASURED = "not measured"
UNDECIDED = "undecided"

RAW_RANGE = (0.55, 0.75)
ORTHOGONAL_BELOW = 0.30
CENTROID_RATIO = 0.05
MIN_SPEEDUP = 0.05
OUTLIER_RATIOS = (0.01, 0.15)


@dataclass(frozen=True)
class Finding:
    """What one scenario measured for a claim."""

    scenario: str
    text: str
    verdict: str


@dataclass(frozen=True)
class Claim:
    number: int
    statement: str
    findings: list[Finding]

    @property
    def verdict(self) -> str:
        return combine([finding.verdict for finding in self.findings])

    @property
    def measured(self) -> str:
        if not self.findings:
            return "the store has none of the runs this needs"
        return "; ".join(f"{f.scenario}: {f.text} ({f.verdict})" for f in self.findings)


def combine(verdicts: list[str]) -> str:
    """All must hold; one failure fails; otherwise undecided."""
    if not verdicts:
        return NOT_MEASURED
    if FAILS in verdicts:
        return FAILS
    if all(verdict == HOLDS for verdict in verdicts):
        return HOLDS
    return UNDECIDED


def faster(steps: float, other: float) -> bool | None:
    """Whether `steps` is strictly below `other`; None when both never reached (inf)."""
    if math.isinf(steps) and math.isinf(other):
        return None
    return steps < other


def verdict_of(holds: bool | None) -> str:
    return UNDECIDED if holds is None else HOLDS if holds else FAILS


def steps_to(runs: list[dict], threshold: float) -> Outcomes:
    return outcomes(runs, threshold, STEPS)


def format_median(found: Outcomes) -> str:
    """The median in steps, saying how many seeds reached the threshold if not all did."""
    steps = found.median()
    text = f"{steps:,.0f} steps" if math.isfinite(steps) else "not reached"
    if found.not_reached_within and found.reached:
        text = f"median {text} ({len(found.reached)}/{found.runs} seeds reached)"
    return text


def immediate_mmcs(groups: Groups) -> Claim:
    findings = []
    for scenario in scenarios(groups):
        data = measured(find(groups, scenario, "data"), "mmcs_initial")
        orthogonal = measured(find(groups, scenario, "orthogonal"), "mmcs_initial")
        if not data or not orthogonal:
            continue
        data_mmcs, orthogonal_mmcs = statistics.median(data), statistics.median(orthogonal)
        holds = RAW_RANGE[0] <= data_mmcs <= RAW_RANGE[1] and orthogonal_mmcs < ORTHOGONAL_BELOW
        text = f"data {format_mmcs(data_mmcs)}, orthogonal {format_mmcs(orthogonal_mmcs)}"
        findings.append(Finding(scenario, text, verdict_of(holds)))
    statement = (
        "Raw data init gives an immediate MMCS of about 0.65, orthogonal init below 0.30 "
        f"(holds if the median step-0 MMCS of data is in {RAW_RANGE[0]}–{RAW_RANGE[1]} "
        f"and of orthogonal below {ORTHOGONAL_BELOW})"
    )
    return Claim(1, statement, findings)


def data_fast_then_slow(groups: Groups) -> Claim:
    findings = []
    for scenario in scenarios(groups):
        data, orthogonal = find(groups, scenario, "data"), find(groups, scenario, "orthogonal")
        if not data or not orthogonal:
            continue
        found = {t: (steps_to(data, t), steps_to(orthogonal, t)) for t in (0.95, 0.99)}
        early = faster(found[0.95][0].median(), found[0.95][1].median())
        late = faster(found[0.99][1].median(), found[0.99][0].median())
        verdict = combine([verdict_of(early), verdict_of(late)])
        text = "; ".join(
            f"to {t}: data {format_median(d)} vs orthogonal {format_median(o)}"
            for t, (d, o) in found.items()
        )
        findings.append(Finding(scenario, text, verdict))
    statement = (
        "Raw data init reaches 0.95 MMCS faster than orthogonal init but 0.99 slower (median steps)"
    )
    return Claim(2, statement, findings)


def centroid_speedup(groups: Groups) -> Claim:
    findings = []
    for scenario in scenarios(groups):
        centroid = find(groups, scenario, "centroid", CENTROID_RATIO)
        orthogonal = find(groups, scenario, "orthogonal")
        if not centroid or not orthogonal:
            continue
        centroid_steps, orthogonal_steps = steps_to(centroid, 0.99), steps_to(orthogonal, 0.99)
        text = (
            f"centroid {format_median(centroid_steps)} vs "
            f"orthogonal {format_median(orthogonal_steps)}"
        )
        ours, theirs = centroid_steps.median(), orthogonal_steps.median()
        if math.isinf(ours) or math.isinf(theirs):
            holds = faster(ours, theirs)
        else:
            speedup = 1 - ours / theirs
            text += f": {speedup * 100:+.1f}% speed-up"
            holds = speedup >= MIN_SPEEDUP
        findings.append(Finding(scenario, text, verdict_of(holds)))
    statement = (
        f"Centroid init at a {format_ratio(CENTROID_RATIO)} rare ratio reaches 0.99 MMCS about "
        f"10% faster than orthogonal init (holds if at least {MIN_SPEEDUP:.0%} faster in "
        "median steps)"
    )
    return Claim(3, statement, findings)


def outliers_beat_data(groups: Groups) -> Claim:
    low, high = OUTLIER_RATIOS
    findings = []
    for scenario in scenarios(groups):
        data = find(groups, scenario, "data")
        ratios = [
            c.rare_ratio
            for c in groups
            if c.scenario == scenario
            and c.init == "outliers"
            and low <= (c.rare_ratio or 0) <= high
        ]
        if not data or not ratios:
            continue
        theirs = steps_to(data, 0.99)
        parts, verdicts = [], []
        for ratio in ratios:
            ours = steps_to(find(groups, scenario, "outliers", ratio), 0.99)
            verdicts.append(verdict_of(faster(ours.median(), theirs.median())))
            parts.append(f"{format_ratio(ratio)} {format_median(ours)}")
        text = f"outliers {', '.join(parts)} vs data {format_median(theirs)}"
        findings.append(Finding(scenario, text, combine(verdicts)))
    statement = (
        f"Outliers init reaches 0.99 MMCS faster than raw data init at rare ratios "
        f"{format_ratio(low)}–{format_ratio(high)} (holds if faster in median steps at every "
        "measured ratio in that range)"
    )
    return Claim(4, statement, findings)


def claims(groups: Groups) -> list[Claim]:
    checks = (immediate_mmcs, data_fast_then_slow, centroid_speedup, outliers_beat_data)
    return [check(groups) for check in checks]


def claims_table(groups: Groups) -> str:
    rows = [
        [str(claim.number), claim.statement, claim.measured, f"**{claim.verdict}**"]
        for claim in claims(groups)
    ]
    return markdown_table(["#", "seed post's claim", "measured", "verdict"], rows)
