"""A run whose latents stop firing is told apart from a finished one."""

import pytest

from saeinit.training.collapse import COLLAPSED_L0, TrainingCollapsed, check_collapse, collapse

START = {"l0": 14.76, "dead": 0, "fvu": 1.789, "live_mmcs": 0.399}


def test_a_run_whose_latents_stopped_firing_has_collapsed():
    """The end of `train --scenario 16x32 --lr 1`: 21 of 32 latents dead, the rest firing on
    fewer than 1 sample in 100."""
    end = {"l0": 0.0083, "dead": 21, "fvu": 1.139, "live_mmcs": 0.0}
    why = collapse(START, end, 100, 32)
    assert why.startswith("by step 100 the SAE had collapsed: L0 0.0083 on the held-out")
    assert "21 of 32 latents dead" in why and "FVU 1.14 (from 1.79)" in why


def test_live_mmcs_falling_to_zero_is_a_collapse_even_with_latents_firing():
    end = {"l0": 3.0, "dead": 0, "fvu": 0.9, "live_mmcs": 0.0}
    assert "live MMCS 0.399 -> 0: no latent fires on any" in collapse(START, end, 50, 32)


def test_live_mmcs_zero_from_the_start_is_no_collapse():
    """A synthetic world's tied start, its BatchTopK threshold above the unit-norm features
    that live MMCS presents, fires on none of them from step 0 (measured: live MMCS 0 -> 0 on
    synthsaebench-4k from sae-mod's start), yet reconstructs its data."""
    start = {"l0": 11.7, "dead": 1, "fvu": 1.25, "live_mmcs": 0.0}
    assert collapse(start, start | {"fvu": 0.22}, 2000, 1024) is None


@pytest.mark.parametrize(
    "end",
    [
        {"l0": COLLAPSED_L0, "dead": 30, "fvu": 1.2, "live_mmcs": 0.01},  # at the bound
        {"l0": 4.0, "dead": 2, "fvu": 1.3},  # FVU above 1 early in a run, no ground truth
    ],
)
def test_a_run_with_latents_firing_has_not_collapsed(end):
    assert collapse(START, end, 20, 32) is None


def test_a_collapsed_result_raises_unless_collapse_is_allowed():
    result = {"collapsed": "by step 5 ...", "config": {"train": {"allow_collapse": False}}}
    with pytest.raises(TrainingCollapsed, match="give --allow-collapse"):
        check_collapse(result)
    check_collapse(result | {"config": {"train": {"allow_collapse": True}}})
    check_collapse({"collapsed": None, "config": {"train": {"allow_collapse": False}}})
