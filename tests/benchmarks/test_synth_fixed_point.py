"""benchmarks/synth_fixed_point.py on a tiny world: exact sparse coding keeps the true
dictionary, a tied BatchTopK SAE's codes leave it; the rows' shape; bad input."""

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("sae_lens.synthetic")
from saeinit.data.synthetic.presets import SYNTHSAEBENCH_16K, scaled_world  # noqa: E402

PATH = Path(__file__).parents[2] / "benchmarks" / "synth_fixed_point.py"
SPEC = importlib.util.spec_from_file_location("synth_fixed_point", PATH)
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """256 features in 32 dimensions; the world and its one 65,536-sample shard built once."""
    folder = tmp_path_factory.mktemp("fixed_point")
    world = folder / "tiny.json"
    world.write_text(json.dumps(scaled_world(SYNTHSAEBENCH_16K, features=256, dim=32, roots=4)))
    common = ["--world", str(world), "--cache", str(folder), "--pool", "65536"]
    return common + ["--atoms", "256", "--samples", "8192", "--rounds", "2"]


def test_exact_codes_keep_the_truth_and_batchtopk_codes_leave_it(tiny):
    # OMP with more atoms than the tiny world's samples hold reconstructs each sample from its
    # own features, so the least-squares dictionary of those codes is the truth again
    exact = bench.main(tiny + ["--coder", "omp", "--k", "16", "--subtract-bias"])
    assert [row["round"] for row in exact] == [1, 2]
    assert exact[0]["seconds"] <= exact[1]["seconds"]
    assert min(row["mcc"] for row in exact) > 0.99
    # projections of 256 atoms crowding 32 dimensions code features that are absent
    tied = bench.main(tiny + ["--coder", "batchtopk", "--k", "4"])
    assert tied[-1]["mcc"] < 0.9
    assert all(0 <= row["mcc_most_used"] <= 1 for row in tied)


def test_more_atoms_than_features_is_refused(tiny):
    with pytest.raises(SystemExit, match="exceeds the world's 256 features"):
        bench.main(tiny + ["--atoms", "512"])


def test_a_zero_count_is_refused(tiny, capsys):
    with pytest.raises(SystemExit):
        bench.main(tiny + ["--rounds", "0"])
    assert "--rounds must be at least 1" in capsys.readouterr().err
