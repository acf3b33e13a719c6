"""The race on a synthetic world: its settings, its numbers on hand-made runs (the init's own
samples counted), and one tiny race end to end."""

import json

import pytest

from saeinit.config import ConfigError
from saeinit.experiments.race_config import WORLD_BUDGET, RaceConfig
from saeinit.experiments.world_race import entry_numbers, reach, seed_ratios


def test_a_world_race_defaults_to_saelens_default_sae_under_synthsaebench_recipe():
    config = RaceConfig(synthetic="synthsaebench-4k")
    assert config.pair() == ("saelens+tied", "sae-mod+tied")
    points = config.spec(k=12.0).points()
    assert len(points) == 2
    for point in points:
        settings = point.settings
        assert settings["synthetic"] == "synthsaebench-4k" and "scenario" not in settings
        assert (settings["architecture"], settings["batchtopk_k"]) == ("batchtopk", 12.0)
        assert (settings["lr"], settings["batch_size"]) == (3e-4, 1024)
        assert settings["max_steps"] * 1024 >= WORLD_BUDGET > (settings["max_steps"] - 1) * 1024
        assert settings["target_mmcs"] == 1.0  # every run trains its whole budget
    assert RaceConfig().pair() == ("orthogonal", "modes+whitened")


@pytest.mark.parametrize(
    "settings, option",
    [
        ({"l1": 0.1}, "l1"),
        ({"sklearn_seconds": 5.0}, "sklearn-seconds"),
        ({"recipe": "synthetic=synthsaebench-16k"}, "recipe"),
    ],
)
def test_toy_only_settings_are_refused_on_a_world(settings, option):
    with pytest.raises(ConfigError) as err:
        RaceConfig(synthetic="synthsaebench-4k", **settings)
    assert err.value.option == option


def test_an_unknown_world_is_refused():
    with pytest.raises(ConfigError, match="unknown world"):
        RaceConfig(synthetic="synthsaebench-1k")


def run(init_samples, init_seconds, rows, seed=0):
    """A stored run of `seed`: its history rows as (training samples, seconds, mcc, f1)."""
    history = [
        dict.fromkeys(("precision", "recall", "uniqueness", "explained_variance"), 0.5)
        | {"shrinkage": 1.0, "l0": 12.0, "dead": 0}
        | {"samples": s, "seconds": t, "mcc": m, "f1": f}
        for s, t, m, f in rows
    ]
    return {
        "seed": seed,
        "init_seconds": init_seconds,
        "result": {"init_samples": init_samples},
        "history": history,
    }


def test_reaching_a_target_counts_the_init_samples_and_seconds():
    # The informed run reaches MCC 0.7 at its second row: 1,000 training samples after an init
    # that read 4,000 samples in 2 s, i.e. 5,000 samples and 2 + 3 = 5 s.
    informed = run(4000, 2.0, [(0, 0.0, 0.5, 0.2), (1000, 3.0, 0.7, 0.4), (2000, 6.0, 0.8, 0.6)])
    got = reach([informed], "mcc", {0: 0.7})
    assert (got.samples, got.seconds, got.reached) == (5000, 5.0, 1)
    # Without its init's samples the ratio to a baseline reaching it at 10,000 would be 10x;
    # counted, it is 2x.
    assert 10_000 / got.samples == 2.0
    assert reach([informed], "f1", {0: 0.9}).samples is None


def test_an_entry_numbers_are_medians_over_seeds():
    runs = [
        run(0, 0.0, [(0, 0.0, 0.2, 0.0), (100, 1.0, 0.6, 0.5)], seed=0),
        run(0, 0.0, [(0, 0.0, 0.3, 0.0), (100, 1.0, 0.7, 0.4)], seed=1),
        run(0, 0.0, [(0, 0.0, 0.4, 0.0), (100, 1.0, 0.5, 0.6)], seed=2),
    ]
    same = dict.fromkeys((0, 1, 2), 0.6)
    numbers = entry_numbers(runs, {"mcc": same, "f1": dict.fromkeys((0, 1, 2), 0.5)})
    assert numbers.start["mcc"] == 0.3 and numbers.end["mcc"] == 0.6
    assert numbers.end["f1"] == 0.5
    assert numbers.reach["mcc"].reached == 2 and numbers.reach["mcc"].samples == 100


def test_each_seed_races_to_its_own_baseline_end():
    # Seed 0's baseline ends at MCC 0.75 after 1,000 samples and 100 s; seed 1's at 0.70 after
    # 1,000 samples and 50 s. The informed run of seed 0 reaches 0.75 after 200 samples (+ 50
    # init samples, 10 + 10 s); seed 1's reaches 0.70 at its start (100 init samples, 20 s).
    baseline = [
        run(0, 0.0, [(0, 0.0, 0.2, 0.0), (1000, 100.0, 0.75, 0.5)], seed=0),
        run(0, 0.0, [(0, 0.0, 0.2, 0.0), (1000, 50.0, 0.70, 0.5)], seed=1),
    ]
    informed = [
        run(50, 10.0, [(0, 0.0, 0.72, 0.0), (200, 10.0, 0.76, 0.5)], seed=0),
        run(100, 20.0, [(0, 0.0, 0.71, 0.0), (200, 10.0, 0.72, 0.5)], seed=1),
    ]
    targets = {0: 0.75, 1: 0.70}  # each seed's baseline end, not their median 0.725
    slow, fast = reach(baseline, "mcc", targets), reach(informed, "mcc", targets)
    assert slow.reached == 2 and slow.samples == 1000  # the baseline reaches its own end
    assert fast.by_seed == {0: (250, 20.0), 1: (100, 20.0)}
    assert seed_ratios(slow, fast, "samples") == {0: 4.0, 1: 10.0}
    assert seed_ratios(slow, fast, "seconds") == {0: 5.0, 1: 2.5}
    never = run(0, 0.0, [(0, 0.0, 0.1, 0.0), (1000, 50.0, 0.60, 0.5)], seed=1)
    assert seed_ratios(slow, reach([never], "mcc", targets), "samples") == {1: None}
    # An entry with no init samples at its target from the start: inf, against a baseline
    # also there from the start: 1.
    at_once = run(0, 0.0, [(0, 0.0, 0.80, 0.5)], seed=1)
    assert seed_ratios(slow, reach([at_once], "mcc", targets), "samples") == {1: float("inf")}
    both = reach([at_once], "mcc", targets)
    assert seed_ratios(both, both, "samples") == {1: 1.0}


def test_the_world_k_goes_only_to_architectures_that_read_it():
    # JumpReLU has no k: SAEConfig refuses a batchtopk_k it would ignore, so none is set.
    jumprelu = RaceConfig(synthetic="synthsaebench-4k", recipe="architecture=jumprelu")
    assert all("batchtopk_k" not in p.settings for p in jumprelu.spec(k=10.0).points())
    matryoshka = RaceConfig(synthetic="synthsaebench-4k", recipe="architecture=matryoshka")
    assert {p.settings["batchtopk_k"] for p in matryoshka.spec(k=10.0).points()} == {10.0}
    own = RaceConfig(synthetic="synthsaebench-4k", recipe="batchtopk_k=8")
    assert {p.settings["batchtopk_k"] for p in own.spec(k=10.0).points()} == {8}


def test_a_tiny_world_race_end_to_end(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sae_lens.synthetic")
    from saeinit.cli import main
    from saeinit.data.synthetic.presets import SYNTHSAEBENCH_16K, scaled_world

    world = tmp_path / "tiny.json"
    world.write_text(json.dumps(scaled_world(SYNTHSAEBENCH_16K, 256, 32, 4)))
    monkeypatch.setenv("SAEINIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("saeinit.data.synthetic.pool.SHARD_ROWS", 1024)  # generated here
    recipe = "eval_samples=1024 batch_size=128 synthetic_samples=4096 sae_mod_iters=2"
    args = ["race", "--synthetic", str(world), "--max-steps", "20", "--log-every", "10"]
    args += ["--recipe", recipe, "--out", str(tmp_path / "race"), "--workers", "1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "tiny: 256 features in 32 dimensions" in out and "width 64" in out
    assert "saelens+tied / sae-mod+tied" in out and "to MCC" in out and "to F1" in out
    assert (tmp_path / "race" / "race.png").exists()
    assert main(args) == 0  # the second call reads the store
    assert "2 from" in capsys.readouterr().out
