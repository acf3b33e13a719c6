"""`saeinit train --synthetic` and `saeinit init --synthetic`: SAELens' metrics printed and
recorded, and bad worlds refused in one line with exit code 2."""

import json

import pytest

from saeinit.cli import main

pytest.importorskip("sae_lens.synthetic")


@pytest.fixture(autouse=True)
def small_shards(monkeypatch):
    monkeypatch.setattr("saeinit.data.synthetic.pool.SHARD_ROWS", 1024)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny world's file and a cache holding it and one shard of its samples."""
    from saeinit.data.synthetic.presets import SYNTHSAEBENCH_16K, scaled_world

    folder = tmp_path_factory.mktemp("synthetic")
    path = folder / "tiny.json"
    path.write_text(json.dumps(scaled_world(SYNTHSAEBENCH_16K, 256, 32, 4)))
    return ["--synthetic", str(path), "--synthetic-cache", str(folder / "cache")]


QUICK = ["--synthetic-samples", "4096", "--max-steps", "40", "--log-every", "20"]
QUICK += ["--batch-size", "128", "--eval-samples", "1024", "--threads", "1", "--no-progress"]


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_train_prints_and_records_saelens_metrics(tiny, tmp_path, capsys):
    out = tmp_path / "run.json"
    args = ["train", *tiny, *QUICK, "--architecture", "batchtopk", "--batchtopk-k", "4"]
    assert main([*args, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "synthetic tiny (256 features in 32 dimensions" in printed
    assert "dict 64" in printed  # a quarter of the features, as SynthSAEBench
    assert "MCC " in printed and "F1 " in printed and "explained variance" in printed
    result = json.loads(out.read_text())
    assert [row["step"] for row in result["history"]] == [0, 20, 40]
    for row in result["history"]:
        assert 0 <= row["mcc"] <= 1 and 0 <= row["f1"] <= 1 and row["explained_variance"] <= 1
    assert result["data_info"]["num_features"] == 256
    assert result["data_info"]["train_samples"] == 4096


def test_the_same_settings_give_the_same_run(tiny, tmp_path):
    results = []
    for name in ("a.json", "b.json"):
        assert main(["train", *tiny, *QUICK, "--json", str(tmp_path / name)]) == 0
        results.append(json.loads((tmp_path / name).read_text())["history"])
    assert [row["f1"] for row in results[0]] == [row["f1"] for row in results[1]]


def test_init_writes_an_initial_sae_from_a_world(tiny, tmp_path, capsys):
    args = ["init", *tiny, "--synthetic-samples", "4096", "--init", "data", "--threads", "1"]
    assert main([*args, "--save", str(tmp_path / "sae")]) == 0
    assert (tmp_path / "sae" / "cfg.json").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--synthetic", "synthsaebench-2k"], "--synthetic: unknown world 'synthsaebench-2k'"),
        (["--synthetic", "missing.json"], "--synthetic: missing.json is not a file"),
        (["--synthetic-samples", "-5"], "--synthetic-samples"),
    ],
)
def test_bad_worlds_are_one_line_and_exit_2(tiny, extra, message, capsys):
    assert main(["train", *tiny, *QUICK, *extra]) == 2
    assert message in one_line(capsys.readouterr().err)


def test_a_world_and_other_data_are_refused_together(tiny, tmp_path, capsys):
    data = tmp_path / "x.npz"
    assert main(["data", "--scenario", "8x16", "--samples", "300", "--out", str(data)]) == 0
    capsys.readouterr()
    assert main(["train", *tiny, *QUICK, "--data", str(data)]) == 2
    assert "give either --synthetic or --data" in one_line(capsys.readouterr().err)


def test_a_damaged_shard_is_named_and_exits_2(tiny, capsys):
    assert main(["train", *tiny, *QUICK, "--max-steps", "0"]) == 0
    capsys.readouterr()
    cache = tiny[3]
    from pathlib import Path

    shard = next(Path(cache).glob("worlds/*/samples/shard_00000.safetensors"))
    saved = shard.read_bytes()
    shard.write_bytes(saved[:-8] + b"garbage!")
    try:
        assert main(["train", *tiny, *QUICK]) == 2
        line = one_line(capsys.readouterr().err)
        assert "shard_00000.safetensors is corrupt" in line and "--synthetic" in line
    finally:
        shard.write_bytes(saved)
