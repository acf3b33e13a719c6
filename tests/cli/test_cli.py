import json

import numpy as np
import pytest
from safetensors.torch import load_file

from saeinit.cli import main


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
    assert set(row) >= {"step", "samples", "seconds", "mmcs", "mcc", "loss", "mse", "l0", "dead"}
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
    assert result["samples"] == 1000 and result["mmcs_final"] is not None


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


def test_inits_lists_each_registered_init(capsys):
    from saeinit import inits

    assert main(["inits"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == inits.names()


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
        (["--max-steps", "0"], "--max-steps"),
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
