"""The seed post's claims beside what the store measured, each with a verdict.

Each claim is judged per scenario; the claim holds if it holds in every scenario measured.
Speeds are median samples over seeds, the init's own samples counted beside the training's
(every sample counts: an init that draws many samples pays for them), a run that never reached
the threshold counting as slower than any run that did. Where both compared medians never reached the claim's threshold, the
claim is judged at the highest lower threshold of THRESHOLDS that one of them reached, and the
finding says so (a claim at 0.99 where no init gets there is still a claim about which init
gets closer sooner); it is undecided only where neither reached any.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from saeinit.reports.aggregate import (
    SAMPLES,
    Groups,
    Outcomes,
    find,
    format_ratio,
    measured,
    outcomes,
    scenarios,
)
from saeinit.reports.tables import format_mmcs, markdown_table
from saeinit.training.config import THRESHOLDS

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


def faster(spent: float, other: float) -> bool | None:
    """Whether `spent` is strictly below `other`; None when both never reached (inf)."""
    if math.isinf(spent) and math.isinf(other):
        return None
    return spent < other


def verdict_of(holds: bool | None) -> str:
    return UNDECIDED if holds is None else HOLDS if holds else FAILS


def samples_to(runs: list[dict], threshold: float) -> Outcomes:
    return outcomes(runs, threshold, SAMPLES)


def judged_at(ours: list[dict], theirs: list[dict], threshold: float, above: float = 0.0) -> float:
    """`threshold`, or where neither median reached it, the highest lower threshold (above
    `above`) that one of them reached; `threshold` again if none."""
    for candidate in sorted((t for t in THRESHOLDS if above < t <= threshold), reverse=True):
        medians = (samples_to(ours, candidate).median(), samples_to(theirs, candidate).median())
        if not all(math.isinf(median) for median in medians):
            return candidate
    return threshold


def threshold_label(judged: float, claimed: float) -> str:
    """ "to 0.99" or "to 0.98 (0.99 reached by neither)"."""
    label = f"to {judged}"
    return label if judged == claimed else f"{label} ({claimed} reached by neither)"


def format_median(found: Outcomes) -> str:
    """The median in samples, saying how many seeds reached the threshold if not all did."""
    samples = found.median()
    text = f"{samples:,.0f} samples" if math.isfinite(samples) else "not reached"
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
        early_at = judged_at(data, orthogonal, 0.95)
        late_at = judged_at(data, orthogonal, 0.99, above=early_at)
        found = {
            threshold_label(judged, claimed): (
                samples_to(data, judged),
                samples_to(orthogonal, judged),
            )
            for judged, claimed in ((early_at, 0.95), (late_at, 0.99))
        }
        (early_data, early_orthogonal), (late_data, late_orthogonal) = found.values()
        early = faster(early_data.median(), early_orthogonal.median())
        late = faster(late_orthogonal.median(), late_data.median())
        verdict = combine([verdict_of(early), verdict_of(late)])
        text = "; ".join(
            f"{label}: data {format_median(d)} vs orthogonal {format_median(o)}"
            for label, (d, o) in found.items()
        )
        findings.append(Finding(scenario, text, verdict))
    statement = (
        "Raw data init reaches 0.95 MMCS faster than orthogonal init but 0.99 slower (median "
        "samples, the init's counted)"
    )
    return Claim(2, statement, findings)


def centroid_speedup(groups: Groups) -> Claim:
    findings = []
    for scenario in scenarios(groups):
        centroid = find(groups, scenario, "centroid", CENTROID_RATIO)
        orthogonal = find(groups, scenario, "orthogonal")
        if not centroid or not orthogonal:
            continue
        judged = judged_at(centroid, orthogonal, 0.99)
        centroid_samples = samples_to(centroid, judged)
        orthogonal_samples = samples_to(orthogonal, judged)
        text = (
            f"{threshold_label(judged, 0.99)}: centroid {format_median(centroid_samples)} vs "
            f"orthogonal {format_median(orthogonal_samples)}"
        )
        ours, theirs = centroid_samples.median(), orthogonal_samples.median()
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
        "median samples, the init's counted)"
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
        parts, verdicts = [], []
        for ratio in ratios:
            outliers = find(groups, scenario, "outliers", ratio)
            judged = judged_at(outliers, data, 0.99)
            ours, theirs = samples_to(outliers, judged), samples_to(data, judged)
            verdicts.append(verdict_of(faster(ours.median(), theirs.median())))
            parts.append(
                f"{format_ratio(ratio)} {threshold_label(judged, 0.99)}: "
                f"{format_median(ours)} vs data {format_median(theirs)}"
            )
        text = f"outliers {'; '.join(parts)}"
        findings.append(Finding(scenario, text, combine(verdicts)))
    statement = (
        f"Outliers init reaches 0.99 MMCS faster than raw data init at rare ratios "
        f"{format_ratio(low)}–{format_ratio(high)} (holds if faster in median samples, the init's "
        "counted, at every measured ratio in that range)"
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
