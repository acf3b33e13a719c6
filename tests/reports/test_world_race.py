"""The world race's printed ratios: medians of the seeds' own ratios."""

from saeinit.reports.world_race import ratio_text, targets_text


def test_the_ratio_is_the_median_of_the_seeds_ratios_a_miss_counting_lowest():
    # Ratios 4 and 10 and a seed that never reached its target (counted as 0): median 4.
    assert ratio_text({0: 4.0, 1: 10.0, 2: None}, "fast") == "4.00x"
    assert ratio_text({0: 4.0, 1: 10.0}, "fast") == "7.00x"
    assert ratio_text({0: None, 1: None, 2: 3.0}, "fast") == "not reached by fast"
    assert ratio_text({0: float("inf")}, "fast") == "fast starts at or above it"


def test_targets_show_the_median_and_the_range_of_the_seeds():
    assert targets_text({0: 0.749}) == "0.749"
    assert targets_text({0: 0.749, 1: 0.747, 2: 0.745}) == "0.747 (median; 0.745-0.749)"
