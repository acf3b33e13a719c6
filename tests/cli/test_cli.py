import json

import numpy as np
import pytest
from safetensors.torch import load_file

from saeinit.cli import main
from saeinit.data.toy import ToyData
from saeinit.seeding import torch_generator
from saeinit.training.settings import config_from_settings


def test_train_writes_json_and_saelens_files(tmp_path, capsys, tiny_cli):
    out = tmp_path / "r.json"
    save = ["--json", str(out), "--save", str(tmp_path / "sae")]
    code = main(["train", *tiny_cli, "--max-steps", "40", *save])
    assert code == 0
    printed = capsys.readouterr().out
    assert "MMCS >= 0.99: not reached within 10240 samples" in printed
    result = json.loads(out.read_text())
    assert set(result) >= {
        "config",
        "mmcs_initial",
        "mmcs_final",
        "init_seconds",
        "train_seconds",
        "steps",
        "thresholds",
        "history",
    }
    assert result["config"]["toy"]["dim"] == 8 and result["config"]["train"]["max_steps"] == 40
    assert result["config"]["sae"]["l1"] == 0.1  # defaults are recorded too
    assert set(result["thresholds"]) == {"0.95", "0.98", "0.99"}
    row = result["history"][-1]
    assert set(row) >= {"step", "samples", "seconds", "mmcs", "loss", "mse", "l0", "dead"}
    weights = load_file(tmp_path / "sae" / "sae_weights.safetensors")
    assert tuple(weights["W_enc"].shape) == (8, 16) and tuple(weights["W_dec"].shape) == (16, 8)
    assert tuple(load_file(tmp_path / "sae" / "ground_truth.safetensors")["features"].shape) == (
        16,
        8,
    )
    cfg = json.loads((tmp_path / "sae" / "cfg.json").read_text())
    assert cfg["d_in"] == 8 and cfg["d_sae"] == 16


def test_data_export_then_train_on_it(tmp_path, capsys, tiny_cli):
    path = tmp_path / "toy.npz"
    assert (
        main(["data", "--scenario", "8x16", "--samples", "500", "--seed", "3", "--out", str(path)])
        == 0
    )
    arrays = np.load(path)
    assert arrays["x"].shape == (500, 8) and arrays["coefficients"].shape == (500, 16)
    assert np.allclose(arrays["x"], arrays["coefficients"] @ arrays["features"], atol=1e-5)
    out = tmp_path / "r.json"
    args = ["train", "--data", str(path), *tiny_cli[2:], "--max-steps", "2"]
    assert main([*args, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    # 500 samples in batches of 256: one epoch is a batch of 256 and the 244 left
    assert (result["steps"], result["samples"], result["epochs"]) == (2, 500, 1.0)
    assert result["mmcs_final"] is not None


def test_train_on_data_without_features_needs_dict_size(tmp_path, capsys, tiny_cli):
    path = tmp_path / "x.npz"
    np.savez(path, x=np.random.default_rng(0).normal(size=(300, 6)).astype(np.float32))
    assert main(["train", "--data", str(path), *tiny_cli[2:], "--max-steps", "2"]) == 2
    assert "--dict-size" in capsys.readouterr().err
    out = tmp_path / "r.json"
    args = ["train", "--data", str(path), *tiny_cli[2:], "--max-steps", "3", "--dict-size", "12"]
    assert main([*args, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["stopped"] == "budget" and result["steps"] == 3 and result["mmcs_final"] is None


def test_a_fixed_dataset_counts_batches_and_reports_epochs_beside(tmp_path, capsys, tiny_cli):
    out = tmp_path / "r.json"
    fixed = ["--dataset-size", "1000", "--batch-size", "100", "--max-steps", "25"]
    args = ["train", *tiny_cli, *fixed, "--eval-every", "5", "--log-every", "10"]
    assert main([*args, "--target-mmcs", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "steps 25  samples 2500  epochs 2.5  stopped: budget" in printed
    result = json.loads(out.read_text())
    assert (result["steps"], result["samples"], result["epochs"]) == (25, 2500, 2.5)
    assert result["step_unit"] == "batch"
    assert [row["step"] for row in result["history"]] == [0, 10, 20, 25]
    assert [row["epochs"] for row in result["history"]] == [0.0, 1.0, 2.0, 2.5]


def test_the_summary_of_a_result_saved_when_a_step_was_an_epoch_says_so(tmp_path, tiny_cli):
    from saeinit.cli.train import summary

    out = tmp_path / "r.json"
    fixed = ["--dataset-size", "500", "--batch-size", "50", "--max-steps", "10"]
    assert main(["train", *tiny_cli, *fixed, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert "steps 10  samples 500  epochs 1  stopped" in summary(result)
    result["thresholds"]["0.95"] = {"step": 5, "samples": 250, "seconds": 0.1, "epochs": 0.5}
    assert "MMCS >= 0.95: step 5  samples 250  epochs 0.5  seconds 0.10\n" in summary(result)
    result["thresholds"]["0.95"]["epochs"] = None  # a stream
    assert "MMCS >= 0.95: step 5  samples 250  seconds 0.10\n" in summary(result)
    # what this run would have stored before: no step unit, one epoch a step, no epochs
    old = {k: v for k, v in result.items() if k not in ("step_unit", "epochs")}
    old |= {"steps": 1, "samples": 500}
    assert "steps 1 (epochs)  samples 500  stopped" in summary(old)


def test_a_start_at_the_target_says_why_it_stopped_and_how_to_train_on(capsys, tiny_cli):
    """The oracle starts at the features (MMCS 1), past the default --target-mmcs 0.99."""
    assert main(["train", *tiny_cli, "--init", "oracle", "--max-steps", "5"]) == 0
    printed = capsys.readouterr().out
    assert (
        "steps 0  samples 0  stopped: target (MMCS reached --target-mmcs 0.99; 1 trains" in printed
    )


def test_max_steps_0_evaluates_the_start_and_still_writes_json_and_saves(
    tmp_path, capsys, tiny_cli
):
    out, saved = tmp_path / "r.json", tmp_path / "sae"
    args = ["train", *tiny_cli, "--max-steps", "0", "--json", str(out), "--save", str(saved)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "steps 0  samples 0  stopped: budget" in printed
    result = json.loads(out.read_text())
    assert (result["steps"], result["samples"], result["stopped"]) == (0, 0, "budget")
    assert [row["step"] for row in result["history"]] == [0]
    assert result["mmcs_final"] == result["mmcs_initial"]
    weights = load_file(saved / "sae_weights.safetensors")
    assert tuple(weights["W_dec"].shape) == (16, 8)
    # the saved SAE is the start: training on from it begins at the same MMCS
    again = tmp_path / "again.json"
    start = ["train", *tiny_cli, "--max-steps", "0", "--start-from", str(saved)]
    capsys.readouterr()
    assert main([*start, "--json", str(again)]) == 0
    assert f"start {saved}  dict 16" in capsys.readouterr().out  # not the unused default init
    assert json.loads(again.read_text())["mmcs_initial"] == pytest.approx(
        result["mmcs_initial"], abs=1e-6
    )


def test_progress_without_a_terminal_is_a_few_lines_not_an_update_per_check(capsys):
    import time

    from saeinit.training.progress import LOG_INTERVAL

    # stderr captured by pytest is not a terminal, as in a log or CI
    args = ["train", "--scenario", "8x16", "--threads", "1", "--eval-samples", "256"]
    args += ["--max-steps", "600", "--eval-every", "1", "--target-mmcs", "1"]
    start = time.perf_counter()
    assert main(args) == 0
    seconds = time.perf_counter() - start
    err = capsys.readouterr().err
    assert "\r" not in err and len(err.splitlines()) <= seconds / LOG_INTERVAL + 1
    assert all(line.startswith("step ") for line in err.splitlines())
    assert main([*args, "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


def test_inits_lists_each_registered_init_then_each_encoder_init(capsys):
    from saeinit import inits
    from saeinit.inits.encoders import ENCODER_INITS

    assert main(["inits"]) == 0
    dictionary, encoders = capsys.readouterr().out.strip().split("\n\n")
    assert [line.split()[0] for line in dictionary.splitlines()] == inits.names()
    header, *rows = encoders.splitlines()
    assert header == "encoder inits (--encoder-init):"
    assert [row.split()[0] for row in rows] == list(ENCODER_INITS)


@pytest.mark.parametrize(
    "args,option",
    [
        (["--init", "nope"], "--init"),
        (["--scenario", "128by512"], "--scenario"),
        (["--scenario", "0x16"], "--scenario"),
        (["--features", "0"], "--features"),
        (["--dim", "-2"], "--dim"),
        (["--dict-size", "0"], "--dict-size"),
        (["--target-mmcs", "1.5"], "--target-mmcs"),
        (["--target-mmcs", "0"], "--target-mmcs"),
        (["--batch-size", "0"], "--batch-size"),
        (["--max-steps", "-1"], "--max-steps"),
        (["--lr", "-1"], "--lr"),
        (["--scenario", "8x16", "--dim", "4"], "--dim"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(args, option, capsys):
    assert main(["train", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err and "Traceback" not in err


def test_data_rejects_bad_sample_count(capsys):
    assert main(["data", "--samples", "0", "--out", "x.npz"]) == 2
    assert "--samples" in capsys.readouterr().err
    assert main(["data", "--batch-size", "0", "--out", "x.npz"]) == 2
    assert "--batch-size" in capsys.readouterr().err


def test_data_is_drawn_in_training_batches_each_with_its_own_copula(tmp_path, capsys):
    # 300 samples in batches of 128: 128, 128 and 44, as toy training draws them.
    path = tmp_path / "toy.npz"
    args = ["--scenario", "8x16", "--samples", "300", "--seed", "3", "--out", str(path)]
    assert main(["data", *args, "--batch-size", "128"]) == 0
    toy = ToyData(config_from_settings({"scenario": "8x16", "seed": 3}).toy)
    expected = toy.sample_batches(300, torch_generator(3, "train"), 128)
    assert np.array_equal(np.load(path)["coefficients"], expected.coefficients.numpy())
    assert int(np.load(path)["draw_batch_size"]) == 128  # the file says how it was drawn


def test_version_comes_from_the_package_metadata(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"saeinit, version {version('saeinit')}"
