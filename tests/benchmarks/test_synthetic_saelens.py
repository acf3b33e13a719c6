"""benchmarks/synthetic_saelens.py --quick: SAELens' SyntheticSAERunner from its own init and
from saeinit's, on a tiny world; the curve's shape and the init's samples and seconds."""

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("sae_lens.synthetic")
PATH = Path(__file__).parents[2] / "benchmarks" / "synthetic_saelens.py"
SPEC = importlib.util.spec_from_file_location("synthetic_saelens", PATH)
bench = importlib.util.module_from_spec(SPEC)
sys.modules["synthetic_saelens"] = bench  # its worker processes unpickle arm_job by name
SPEC.loader.exec_module(bench)


def test_quick_run_gives_both_arms_curves(tmp_path, capsys):
    default, ours = bench.main(
        ["--quick", "--cache", str(tmp_path), "--json", str(tmp_path / "r.json")]
    )
    assert (default["arm"], ours["arm"]) == ("default", "saeinit")
    # the start, two checkpoints (3 points) and the end; 4,096 training samples
    for arm, extra in ((default, 0), (ours, 2048)):
        samples = [row["samples"] for row in arm["rows"]]
        assert samples[0] == extra and samples[-1] == 4096 + extra
        assert samples == sorted(samples) and len(samples) == 4
        seconds = [row["seconds"] for row in arm["rows"]]
        assert seconds[0] == pytest.approx(arm["init_seconds"]) and seconds == sorted(seconds)
        for row in arm["rows"]:
            assert 0 <= row["mcc"] <= 1 and 0 <= row["f1"] <= 1
    assert default["init_samples"] == 0 and ours["init_samples"] == 2048
    printed = capsys.readouterr().out
    assert (
        "saeinit to default's final MCC" in printed and "saeinit to default's final F1" in printed
    )
    assert (tmp_path / "r.json").exists()


def test_two_workers_run_the_same_arms_side_by_side(tmp_path):
    # Each arm is seeded alone, so running them in two processes changes their seconds only.
    args = ["--quick", "--cache", str(tmp_path)]
    alone = bench.main(args)
    side_by_side = bench.main(args + ["--workers", "2"])
    for one, two in zip(alone, side_by_side, strict=True):
        assert one["arm"] == two["arm"] and one["init_samples"] == two["init_samples"]
        for a, b in zip(one["rows"], two["rows"], strict=True):
            assert a["samples"] == b["samples"]
            assert a["mcc"] == pytest.approx(b["mcc"], abs=1e-6)
            assert a["f1"] == pytest.approx(b["f1"], abs=1e-6)
