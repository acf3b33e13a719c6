"""The seed post's claims judged on hand-made runs whose numbers decide each verdict."""

import math

from saeinit.reports.aggregate import group_runs
from saeinit.reports.claims import (
    FAILS,
    HOLDS,
    NOT_MEASURED,
    UNDECIDED,
    claims,
    claims_table,
    combine,
    faster,
)


def verdicts(runs: list[dict]) -> list[str]:
    return [claim.verdict for claim in claims(group_runs(runs))]


def test_combine_needs_every_scenario_to_hold():
    assert combine([]) == NOT_MEASURED
    assert combine([HOLDS, HOLDS]) == HOLDS
    assert combine([HOLDS, UNDECIDED]) == UNDECIDED
    assert combine([UNDECIDED, FAILS]) == FAILS


def test_faster_is_undecided_only_when_neither_reached():
    assert faster(5000, math.inf) is True
    assert faster(math.inf, 10) is False
    assert faster(100, 100) is False  # a tie is not faster
    assert faster(math.inf, math.inf) is None


def test_claims_from_hand_made_runs(fake_run):
    runs = [
        fake_run("data", (100, 900, None), mmcs_initial=0.66),
        fake_run("orthogonal", (400, 600, 1000), mmcs_initial=0.25),
        fake_run("centroid", (300, 500, 900), ratio=0.05),
        fake_run("outliers", (300, 500, 950), ratio=0.01),
        fake_run("outliers", (300, 500, None), ratio=0.2),  # outside 1–15%: ignored
    ]
    assert verdicts(runs) == [HOLDS, HOLDS, HOLDS, HOLDS]
    speedup = claims(group_runs(runs))[2].measured
    assert (
        speedup
        == "128x256: to 0.99: centroid 230,400 samples vs orthogonal 256,000 samples: +10.0% "
        "speed-up (holds)"
    )


def test_claims_that_fail_cannot_be_decided_or_lack_runs(fake_run):
    runs = [
        fake_run("data", (100, None, None), mmcs_initial=0.9),
        fake_run("orthogonal", (50, None, None), mmcs_initial=0.25),
        fake_run("centroid", (100, 200, 970), ratio=0.05),
        fake_run("orthogonal", (50, 500, 1000), seed=1, scenario="8x16"),
        fake_run("centroid", (100, 200, 970), ratio=0.05, scenario="8x16"),
    ]
    # 1: data starts too high; 2: data slower to 0.95; 3: centroid only 3% faster in 8x16
    # (it holds in 128x256, where orthogonal never reached 0.99); 4: no outliers runs.
    assert verdicts(runs) == [FAILS, FAILS, FAILS, NOT_MEASURED]
    neither_reached = [
        fake_run("data", (100, None, None)),
        fake_run("orthogonal", (200, None, None)),
    ]
    assert verdicts(neither_reached)[1] == UNDECIDED  # neither reached 0.98 or 0.99


def test_a_threshold_neither_reached_is_judged_at_the_highest_one_reached(fake_run):
    runs = [
        fake_run("data", (100, None, None)),
        fake_run("orthogonal", (200, 300, None)),
        fake_run("centroid", (150, None, None), ratio=0.05),
        fake_run("outliers", (150, 250, None), ratio=0.01),
        fake_run("outliers", (90, None, None), ratio=0.05),
    ]
    found = claims(group_runs(runs))
    # 2: data first to 0.95, orthogonal first to 0.98 (0.99: neither); the late part stays
    # above 0.95, so it is not judged at the threshold of the early part
    assert found[1].verdict == HOLDS
    assert found[1].measured == (
        "128x256: to 0.95: data 25,600 samples vs orthogonal 51,200 samples; to 0.98 (0.99 "
        "reached by neither): data not reached vs orthogonal 76,800 samples (holds)"
    )
    # 3: only orthogonal reached 0.98, so centroid is the slower one there
    assert found[2].verdict == FAILS
    assert found[2].measured.startswith("128x256: to 0.98 (0.99 reached by neither): centroid")
    # 4: at 1%, outliers reached 0.98 and data did not; at 5%, neither reached 0.98, and at
    # 0.95 outliers took 90 steps (23,040 samples) against data's 100 (25,600)
    assert found[3].verdict == HOLDS
    assert found[3].measured == (
        "128x256: outliers 1% to 0.98 (0.99 reached by neither): 64,000 samples vs data not "
        "reached; 5% to 0.95 (0.99 reached by neither): 23,040 samples vs data 25,600 samples "
        "(holds)"
    )


def test_the_centroid_claim_needs_a_five_percent_speedup(fake_run):
    def centroid_vs_orthogonal(centroid_steps):
        return [
            fake_run("orthogonal", (100, 200, 1000)),
            fake_run("centroid", (100, 200, centroid_steps), ratio=0.05),
        ]

    assert verdicts(centroid_vs_orthogonal(950))[2] == HOLDS  # 1 - 950/1000 = 5%
    assert verdicts(centroid_vs_orthogonal(960))[2] == FAILS  # 4%


def test_an_inits_own_samples_count_in_the_speed_claims(fake_run):
    centroid = fake_run("centroid", (100, 200, 900), ratio=0.05)
    runs = [fake_run("orthogonal", (100, 200, 1000)), centroid]
    groups = group_runs(runs)
    assert claims(groups)[2].verdict == HOLDS  # 230,400 against 256,000 samples: 10% faster
    centroid["result"] = {"init_samples": 20_000}  # grouped already: only the counts change
    # 250,400 against 256,000: 2.2% faster, below the claim's 5%
    assert claims(groups)[2].verdict == FAILS
    assert "centroid 250,400 samples vs orthogonal 256,000 samples: +2.2%" in (
        claims(groups)[2].measured
    )


def test_claim_one_uses_the_median_over_seeds(fake_run):
    # Medians 0.6 (data) and 0.2 (orthogonal) hold; the means (0.44 and 0.383) would not.
    runs = [fake_run("data", seed=s, mmcs_initial=m) for s, m in enumerate((0.1, 0.62, 0.6))]
    runs += [fake_run("orthogonal", seed=s, mmcs_initial=m) for s, m in enumerate((0.05, 0.9, 0.2))]
    claim = claims(group_runs(runs))[0]
    assert claim.measured == "128x256: data 0.600, orthogonal 0.200 (holds)"
    assert claim.verdict == HOLDS


def test_claims_table_has_a_row_a_claim_with_its_bold_verdict(fake_run):
    runs = [
        fake_run("data", (100, 900, None), mmcs_initial=0.66),
        fake_run("orthogonal", (400, 600, 1000), mmcs_initial=0.25),
    ]
    table = claims_table(group_runs(runs)).splitlines()
    assert table[0] == "| # | seed post's claim | measured | verdict |"
    assert [row.rsplit("| ", 1)[1] for row in table[2:]] == [
        f"**{HOLDS}** |",
        f"**{HOLDS}** |",
        f"**{NOT_MEASURED}** |",
        f"**{NOT_MEASURED}** |",
    ]
    assert "| the store has none of the runs this needs |" in table[4]
