"""The world race's printed ratios: medians of the seeds' own ratios."""

from saeinit.reports.world_race import ratio_text, targets_text


def test_the_ratio_is_the_median_of_the_seeds_ratios_a_miss_counting_lowest():
    # Ratios 4 and 10 and a seed that never reached its target (counted as 0): median 4.
    assert ratio_text({0: 4.0, 1: 10.0, 2: None}, "fast") == "4.00x"
    assert ratio_text({0: 4.0, 1: 10.0}, "fast") == "7.00x"
    assert ratio_text({0: None, 1: None, 2: 3.0}, "fast") == "not reached by fast"
    assert ratio_text({0: float("inf")}, "fast") == "fast starts at or above it"
    # Half the seeds at the start: not "starts at or above it", the largest finite ratio.
    assert ratio_text({0: float("inf"), 1: 2.0}, "fast") == "2.00x"
    assert ratio_text({0: float("inf"), 1: float("inf"), 2: 2.0}, "fast") == (
        "fast starts at or above it"
    )
    assert ratio_text({}, "fast") == "no seed to compare"


def test_targets_show_the_median_and_the_range_of_the_seeds():
    assert targets_text({0: 0.749}) == "0.749"
    assert targets_text({0: 0.749, 1: 0.747, 2: 0.745}) == "0.747 (median; 0.745-0.749)"


def stored_run(seed, rows, init_samples=0, init_seconds=0.0, architecture="batchtopk"):
    """A stored world run of `seed` whose history rows are (samples, seconds, mcc, f1)."""
    from saeinit.metrics.synthetic import METRICS

    history = [
        dict.fromkeys(METRICS, 0.5) | {"samples": s, "seconds": t, "mcc": m, "f1": f}
        for s, t, m, f in rows
    ]
    sae = {"architecture": architecture, "batchtopk_k": 12.0, "k": 12}
    train = {"batch_size": 1024, "lr": 3e-4, "eval_samples": 20_000}
    config = {"sae": sae, "train": train}
    result = {"init_samples": init_samples, "dict_size": 1024, "config": config}
    return {
        "seed": seed,
        "init_seconds": init_seconds,
        "result": result,
        "history": history,
    }


def two_seed_race(architecture):
    from saeinit.experiments.race_config import RaceConfig
    from saeinit.experiments.world_race import WorldRace, entry_numbers

    config = RaceConfig(synthetic="synthsaebench-4k", seeds="0,1")
    # Seed 0's baseline ends at MCC 0.75, seed 1's at 0.70, both after 1,000 samples (100 s
    # and 50 s); the informed runs reach them after 250 (20 s) and 100 (20 s) samples, init
    # included: ratios 4 and 10 (median 7) in samples, 5 and 2.5 (median 3.75) in seconds.
    runs = {
        "saelens+tied": [
            stored_run(0, [(0, 0.0, 0.2, 0.0), (1000, 100.0, 0.75, 0.5)], 0, 0.0, architecture),
            stored_run(1, [(0, 0.0, 0.2, 0.0), (1000, 50.0, 0.70, 0.5)], 0, 0.0, architecture),
        ],
        "sae-mod+tied": [
            stored_run(0, [(0, 0.0, 0.72, 0.0), (200, 10.0, 0.76, 0.5)], 50, 10.0, architecture),
            stored_run(1, [(0, 0.0, 0.71, 0.0), (200, 10.0, 0.72, 0.5)], 100, 20.0, architecture),
        ],
    }
    targets = {
        metric: {run["seed"]: run["history"][-1][metric] for run in runs["saelens+tied"]}
        for metric in ("mcc", "f1")
    }
    numbers = {entry: entry_numbers(found, targets) for entry, found in runs.items()}
    info = {"synthetic": "synthsaebench-4k", "num_features": 4096, "hidden_dim": 192}
    return WorldRace(config, info, 12.0, targets, numbers, runs, 0, 4, [])


def test_the_table_compares_each_seed_with_its_own_baseline():
    from saeinit.reports.world_race import world_race_lines

    lines = world_race_lines(two_seed_race("batchtopk"))
    assert "medians over seeds 0 1; batchtopk width 1,024 k 12," in lines[1]
    assert "to MCC 0.725 (median; 0.700-0.750) (saelens+tied's end)" in lines
    samples = lines.index("to MCC 0.725 (median; 0.700-0.750) (saelens+tied's end)") + 1
    assert lines[samples].rstrip().endswith("7.00x")
    assert lines[samples + 1].split() == ["by", "seed", "0:", "4.00x", "1:", "10.00x"]
    assert lines[samples + 2].rstrip().endswith("3.75x")
    assert lines[samples + 3].split() == ["by", "seed", "0:", "5.00x", "1:", "2.50x"]


def test_the_header_gives_no_k_for_jumprelu():
    from saeinit.reports.world_race import world_race_lines

    header = world_race_lines(two_seed_race("jumprelu"))[1]
    assert "jumprelu width 1,024, lr" in header and " k " not in header
