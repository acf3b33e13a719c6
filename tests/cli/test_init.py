"""`saeinit init`: an initial SAE without training, in SAELens' or sparsify's layout."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from saeinit.cli import main
from saeinit.models.io import load_sae

TINY = ["--scenario", "16x32", "--threads", "1", "--eval-samples", "64"]
MOD = ["--init", "mod", "--encoder-init", "fitted"]


def init(folder, *args) -> int:
    return main(["init", *TINY, *args, "--save", str(folder)])


def test_saelens_layout_loads_in_saelens_and_is_train_max_steps_0s_start(tmp_path, capsys):
    assert init(tmp_path / "init", *MOD, "--b-dec", "mean") == 0
    printed = capsys.readouterr().out
    assert "init mod (encoder fitted): 32 latents in" in printed and "MMCS 0." in printed
    record = json.loads((tmp_path / "init" / "init.json").read_text())
    assert record["format"] == "saelens" and record["init_seconds"] > 0
    assert 0.5 < record["mmcs"] <= 1 and 0 < record["live_mmcs"] <= 1
    assert record["start"]["step"] == 0 and record["config"]["train"]["max_steps"] == 0
    args = ["train", *TINY, *MOD, "--b-dec", "mean", "--max-steps", "0", "--no-progress"]
    assert main([*args, "--save", str(tmp_path / "train")]) == 0
    ours = load_file(tmp_path / "init" / "sae_weights.safetensors")
    trained = load_file(tmp_path / "train" / "sae_weights.safetensors")
    assert ours.keys() == trained.keys()
    assert all(torch.equal(ours[name], trained[name]) for name in ours)
    sae_lens = pytest.importorskip("sae_lens")
    theirs = sae_lens.SAE.load_from_disk(tmp_path / "init")
    assert isinstance(theirs, sae_lens.StandardSAE)
    assert torch.equal(theirs.W_dec.detach(), ours["W_dec"])


def test_sparsify_layout_loads_in_sparsify_as_the_same_sae_as_the_saelens_layout(tmp_path):
    sparsify = pytest.importorskip("sparsify")
    topk = [*MOD, "--architecture", "topk", "--k", "4", "--b-dec", "geometric_median"]
    topk += ["--normalize-activations", "expected_average_only_in", "--coef-max", "3"]
    assert init(tmp_path / "saelens", *topk) == 0
    assert init(tmp_path / "sparsify", *topk, "--format", "sparsify") == 0
    record = json.loads((tmp_path / "sparsify" / "init.json").read_text())
    factor = record["norm_scaling_factor"]
    assert record["format"] == "sparsify" and factor != pytest.approx(1.0)
    coder = sparsify.SparseCoder.load_from_disk(tmp_path / "sparsify")
    assert (coder.d_in, coder.num_latents, coder.cfg.k) == (16, 32, 4)
    assert torch.allclose(coder.W_dec.norm(dim=1), torch.ones(32), atol=1e-5)
    ours = load_sae(tmp_path / "saelens")
    x = torch.randn(200, 16, generator=torch.Generator().manual_seed(0)).abs() * 3
    with torch.no_grad():
        top_acts, top_indices, _ = coder.encode(x)
        acts = torch.zeros(200, 32).scatter_(1, top_indices, top_acts)
        # the same SAE on unscaled inputs; SAELens' layout folds the scaling into the atoms,
        # sparsify's keeps them unit-norm, so its latents are smaller by the factor
        assert torch.allclose(acts * factor, ours.encode(x), atol=1e-4, rtol=1e-4)
        x_hat = coder.decode(top_acts, top_indices)
        assert torch.allclose(x_hat, ours(x).x_hat, atol=1e-4, rtol=1e-4)


def test_sparsify_layout_refuses_other_architectures_naming_format(tmp_path, capsys):
    assert init(tmp_path / "sae", "--format", "sparsify") == 2
    err = capsys.readouterr().err
    assert err.startswith("saeinit: error: --format: sparsify's SparseCoder is a TopK SAE")
    assert err.count("\n") == 1 and not (tmp_path / "sae").exists()


def test_a_saved_sae_is_replaced_only_with_overwrite(tmp_path, capsys):
    assert init(tmp_path / "sae") == 0
    assert init(tmp_path / "sae", "--format", "sparsify", "--architecture", "topk") == 2
    assert "--save" in capsys.readouterr().err
    assert init(tmp_path / "sae", "--init", "data", "--overwrite") == 0
    assert (
        json.loads((tmp_path / "sae" / "init.json").read_text())["config"]["init"]["init"] == "data"
    )


def test_a_dataset_without_features_gives_no_mmcs(tmp_path, capsys):
    x = np.random.default_rng(0).normal(size=(500, 6)).astype(np.float32)
    np.savez(tmp_path / "x.npz", x=x)
    args = ["init", "--data", str(tmp_path / "x.npz"), "--threads", "1", "--eval-samples", "64"]
    assert main([*args, "--save", str(tmp_path / "sae")]) == 2
    assert "--dict-size" in capsys.readouterr().err
    assert main([*args, "--dict-size", "12", *MOD, "--save", str(tmp_path / "sae")]) == 0
    assert "MMCS" not in capsys.readouterr().out
    record = json.loads((tmp_path / "sae" / "init.json").read_text())
    assert record["mmcs"] is None and record["dict_size"] == 12
    assert (
        main([*args, "--dict-size", "12", "--init", "oracle", "--save", str(tmp_path / "o")]) == 2
    )
    assert "--init" in capsys.readouterr().err


def test_activations_give_an_sae_that_records_their_hook(tmp_path, minilm_acts):
    # tied: the fitted encoder's regression fails on so few tokens (fewer than the width, 384)
    args = ["init", "--activations", str(minilm_acts), "--dict-size", "32", "--init", "mod"]
    args += ["--encoder-init", "tied", "--normalize-activations", "expected_average_only_in"]
    args += ["--b-dec", "mean", "--batch-size", "16", "--threads", "1", "--eval-samples", "16"]
    assert main([*args, "--save", str(tmp_path / "sae")]) == 0
    cfg = json.loads((tmp_path / "sae" / "cfg.json").read_text())
    assert cfg["hook_name"] == "blocks.1.hook_resid_post" and cfg["d_sae"] == 32
    record = json.loads((tmp_path / "sae" / "init.json").read_text())
    assert record["data_info"]["hook_name"] == "blocks.1.hook_resid_post" and record["mmcs"] is None


@pytest.mark.parametrize("option", ["--init-samples", "--encoder-samples"])
def test_a_sample_above_the_dataset_is_refused_naming_the_option(tmp_path, capsys, option):
    x = np.random.default_rng(0).normal(size=(500, 6)).astype(np.float32)
    np.savez(tmp_path / "x.npz", x=x)
    args = ["init", "--data", str(tmp_path / "x.npz"), "--dict-size", "12", *MOD, "--threads", "1"]
    assert main([*args, option, "501", "--save", str(tmp_path / "sae")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"saeinit: error: {option}: asks for 501 samples but the data holds 500")
    assert err.count("\n") == 1 and not (tmp_path / "sae").exists()
    assert main([*args, option, "500", "--save", str(tmp_path / "sae")]) == 0
