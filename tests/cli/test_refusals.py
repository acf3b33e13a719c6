"""Bad input refused in one line naming the option, before any work starts and leaving
nothing behind: seeds, corpora, settings a run would ignore, misleading names."""

import json

import pytest

from saeinit.cli import main


def error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def never(target: str):
    def reached(*args, **kwargs):
        raise AssertionError(f"{target} ran before the input was refused")

    return reached


# Seeds: the store keeps them in a signed 64-bit integer


@pytest.mark.parametrize("seed", ["9223372036854775808", "99999999999999999999999"])
def test_a_race_with_a_seed_the_store_cannot_keep_is_refused_before_it_trains(
    tmp_path, capsys, seed
):
    out = tmp_path / "r"
    race = ["race", "--scenarios", "16x32", "--max-steps", "20", "--workers", "1"]
    assert main([*race, "--entries", "orthogonal,data", "--seeds", seed, "--out", str(out)]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith("saeinit: error: --seeds: a seed must be an integer from 0 to 2^63 - 1")
    assert seed in line
    assert not out.exists()


def test_a_grid_seed_the_store_cannot_keep_is_refused_before_the_store_is_made(tmp_path, capsys):
    grid, store = tmp_path / "grid.toml", tmp_path / "r.sqlite"
    grid.write_text('[base]\nscenario = "16x32"\n[[axes]]\nseed = [18446744073709551616]\n')
    assert main(["sweep", str(grid), "--store", str(store)]) == 2
    assert "--seed: a seed must be an integer from 0" in error_line(capsys.readouterr().err)
    assert not store.exists()


@pytest.mark.parametrize("option,value", [("--seed", "9223372036854775808"), ("--data-seed", "-1")])
def test_train_refuses_a_seed_before_it_runs(capsys, monkeypatch, tiny_cli, option, value):
    monkeypatch.setattr("saeinit.training.run.run", never("run"))
    assert main(["train", *tiny_cli, option, value]) == 2
    assert error_line(capsys.readouterr().err).startswith(f"saeinit: error: {option}: a seed")


def test_tune_refuses_a_sampler_seed_optuna_cannot_take(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("saeinit.experiments.tune.tune", never("tune"))
    study = ["--study", str(tmp_path / "t.sqlite")]
    assert main(["tune", *study, "--sampler-seed", str(2**32)]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith("saeinit: error: --sampler-seed: must be below 2^32 = 4294967296")
    assert not (tmp_path / "t.sqlite").exists()


# Corpora: read through before the model loads


def test_collect_refuses_a_late_bad_record_before_the_model_loads(tmp_path, capsys, monkeypatch):
    corpus, out = tmp_path / "late_bad.jsonl", tmp_path / "acts"
    records = [{"text": f"document {i}"} for i in range(400)] + [{"body": "no text"}]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records))
    monkeypatch.setattr("saeinit.data.activations.collection.load_model", never("load_model"))
    assert main(["collect", "--corpus", str(corpus), "--out", str(out), "--no-progress"]) == 2
    assert "--text-field: " in error_line(capsys.readouterr().err)
    assert not out.exists()


# Settings the run would ignore


@pytest.fixture
def small_npz(tmp_path):
    """A .npz of 500 rows of width 6, without features (as activations come)."""
    import numpy as np

    path = tmp_path / "x.npz"
    rng = np.random.default_rng(0)
    np.savez(path, x=rng.normal(size=(500, 6)).astype("f4"))
    return path


@pytest.mark.parametrize(
    "options,option",
    [
        (["--architecture", "relu", "--batchtopk-k", "5"], "--batchtopk-k"),
        (["--architecture", "topk", "--l1", "0.3"], "--l1"),
        (["--architecture", "jumprelu", "--matryoshka-widths", "4,8"], "--matryoshka-widths"),
        (["--encoder-sigmas", "3"], "--encoder-sigmas"),
        (["--encoder-init", "tied", "--encoder-samples", "100"], "--encoder-samples"),
        (["--architecture", "topk", "--k", "4", "--l1-warmup-steps", "10"], "--l1-warmup-steps"),
        (["--lr-warmup-steps", "1000", "--max-steps", "20"], "--lr-warmup-steps"),
        (["--l1-warmup-steps", "21", "--max-steps", "20"], "--l1-warmup-steps"),
        (["--scenario", "128x256", "--data", "{npz}"], "--scenario"),
        (["--data-seed", "3", "--data", "{npz}"], "--data-seed"),
        (["--mean-active", "3", "--data", "{npz}"], "--mean-active"),
    ],
)
def test_a_setting_the_run_would_ignore_is_refused_naming_it(
    capsys, monkeypatch, small_npz, options, option
):
    monkeypatch.setattr("saeinit.training.run.run", never("run"))
    args = ["train", "--threads", "1", "--no-progress", "--dict-size", "16"]
    assert main([*args, *(word.format(npz=small_npz) for word in options)]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith(f"saeinit: error: {option}: ")
    assert "leave it out" in line or "the warm-up would never finish" in line


def test_the_settings_an_architecture_reads_are_accepted():
    from saeinit.training.settings import config_from_settings

    config_from_settings({"architecture": "matryoshka", "batchtopk_k": 5.0, "dict_size": 16})
    config_from_settings({"architecture": "jumprelu", "l1_warmup_steps": 10, "max_steps": 10})
    config_from_settings({"encoder_init": "whitened", "encoder_sigmas": 3.0})
    config_from_settings({"encoder_init": "fitted", "encoder_samples": 100})


def test_report_refuses_the_mmcs_style_for_runs_without_ground_truth(tmp_path, capsys, small_npz):
    from saeinit.experiments import ResultStore, run_key
    from saeinit.training.run import run
    from saeinit.training.settings import config_from_settings

    settings = {"data_file": str(small_npz), "dict_size": 8, "max_steps": 2, "threads": 1}
    config = config_from_settings(settings | {"progress": False, "eval_samples": 64})
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.add(run_key(config), settings, run(config).result)
    out = tmp_path / "report"
    report = ["report", "--store", str(tmp_path / "r.sqlite"), "--out", str(out)]
    assert main([*report, "--style", "mmcs"]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith("saeinit: error: --style: mmcs reports MMCS, and no run in")
    assert "--style fvu" in line and not out.exists()


# Messages that name what can help


def test_init_on_fewer_rows_than_atoms_names_dict_size_not_init_samples(
    tmp_path, capsys, small_npz
):
    args = ["init", "--data", str(small_npz), "--dict-size", "1000", "--init", "data"]
    assert main([*args, "--no-progress", "--save", str(tmp_path / "sae")]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith("saeinit: error: --dict-size: is 1000, more than the 500 samples")
    assert "--init-samples" not in line and "at most 500" in line


def test_start_from_a_sparsify_folder_names_the_layout(tmp_path, capsys, tiny_cli):
    init = ["init", "--scenario", "8x16", "--architecture", "topk", "--k", "2", "--no-progress"]
    assert main([*init, "--format", "sparsify", "--save", str(tmp_path / "sp")]) == 0
    capsys.readouterr()
    train = ["train", *tiny_cli, "--architecture", "topk", "--k", "2", "--max-steps", "2"]
    assert main([*train, "--start-from", str(tmp_path / "sp")]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith("saeinit: error: --start-from: ") and "sparsify's layout" in line
    assert "lacks d_sae" not in line and "--format saelens" in line


def test_an_sae_whose_decoder_is_all_zeros_is_refused_by_compare_and_start_from(
    tmp_path, capsys, tiny_cli
):
    from safetensors.torch import load_file, save_file

    saved = tmp_path / "sae"
    assert main(["train", *tiny_cli, "--max-steps", "2", "--save", str(saved)]) == 0
    weights = saved / "sae_weights.safetensors"
    tensors = load_file(weights)
    tensors["W_dec"].zero_()
    save_file(tensors, weights)
    capsys.readouterr()
    for args, name in (
        (["compare", str(saved), str(saved)], "'SAE_A'"),
        (["train", *tiny_cli, "--start-from", str(saved)], "--start-from"),
    ):
        assert main(args) == 2
        line = error_line(capsys.readouterr().err)
        assert name in line and "has 16 of its 16 atoms all zeros (row 0 first)" in line
