"""SAEs saved here load with SAELens' own loader and give the same outputs, and back."""

import json

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.models import ReLUSAE
from saeinit.models.io import load_sae, save_sae
from saeinit.training.config import TrainConfig
from saeinit.training.run import run
from saeinit.training.settings import RunConfig, config_from_settings

sae_lens = pytest.importorskip("sae_lens")
from sae_lens import SAE, StandardSAE, StandardSAEConfig  # noqa: E402


def assert_same_outputs(ours: ReLUSAE, theirs, x: torch.Tensor, scale: float = 1.0) -> None:
    """`ours` works on x * scale; SAELens' folded copy works on x."""
    with torch.no_grad():
        acts = ours.encode(x * scale)
        assert torch.allclose(theirs.encode(x), acts, atol=1e-5, rtol=1e-5)
        assert torch.allclose(theirs.decode(acts), ours.decode(acts) / scale, atol=1e-5, rtol=1e-5)
        assert torch.allclose(theirs(x), ours(x * scale).x_hat / scale, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "b_dec,apply,scale",
    [(False, True, None), (True, True, None), (True, False, None), (True, True, 2.5)],
)
def test_saved_sae_loads_in_saelens_with_equal_encode_and_decode(
    tmp_path, b_dec, apply, scale, randomize
):
    model = randomize(ReLUSAE(6, 10, 0.3, b_dec=b_dec, apply_b_dec_to_input=apply))
    save_sae(tmp_path, model, {"sae": {"b_dec": "mean" if b_dec else "none"}}, scaling_factor=scale)
    theirs = SAE.load_from_disk(tmp_path)
    assert isinstance(theirs, StandardSAE)
    assert theirs.cfg.normalize_activations == "none"  # the factor is folded in
    x = torch.randn(50, 6, generator=torch.Generator().manual_seed(1)) * 3
    assert_same_outputs(model, theirs, x, scale or 1.0)
    back = load_sae(tmp_path)  # and ours reads it back: same function on unscaled data
    with torch.no_grad():
        assert torch.allclose(back(x).x_hat, theirs(x), atol=1e-5, rtol=1e-5)
    assert (back.b_dec is not None) == b_dec


def test_sae_trained_on_minilm_activations_round_trips_through_saelens(tmp_path, minilm_acts):
    from saeinit.cli import main
    from saeinit.data.activations import ActivationStore

    save = tmp_path / "sae"
    args = ["train", "--activations", str(minilm_acts), "--dict-size", "64", "--max-steps", "5"]
    args += ["--b-dec", "geometric_median", "--normalize-activations", "expected_average_only_in"]
    args += ["--batch-size", "16", "--eval-samples", "16", "--threads", "1", "--no-progress"]
    assert main([*args, "--save", str(save)]) == 0
    cfg = json.loads((save / "cfg.json").read_text())
    assert (
        cfg["hook_name"] == "blocks.1.hook_resid_post" and cfg["model_name"] == "all-MiniLM-L6-v2"
    )
    assert cfg["saeinit_norm_scaling_factor_folded"] > 0
    theirs = SAE.load_from_disk(save)
    assert theirs.cfg.metadata.hook_name == "blocks.1.hook_resid_post"
    ours = load_sae(save)
    store = ActivationStore(minilm_acts)
    x = store.rows(0, store.count)
    with torch.no_grad():
        acts = ours.encode(x)
        assert torch.allclose(theirs.encode(x), acts, atol=1e-4, rtol=1e-4)
        assert torch.allclose(theirs.decode(acts), ours.decode(acts), atol=1e-4, rtol=1e-4)


def saelens_sae(tmp_path, apply: bool):
    cfg = StandardSAEConfig(d_in=6, d_sae=10, apply_b_dec_to_input=apply)
    sae = StandardSAE(cfg)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for param in sae.parameters():
            param.copy_(torch.randn(param.shape, generator=g))
    sae.save_model(tmp_path)
    return sae


@pytest.mark.parametrize("apply", [True, False])
def test_saelens_sae_loads_here_for_evaluation(tmp_path, apply):
    theirs = saelens_sae(tmp_path, apply)
    ours = load_sae(tmp_path)
    assert ours.b_dec is not None and ours.apply_b_dec_to_input == apply
    x = torch.randn(40, 6, generator=torch.Generator().manual_seed(4))
    assert_same_outputs(ours, theirs, x)
    before = ours(x).x_hat
    ours.fold_decoder_norm()  # the form further training keeps: same function
    assert torch.allclose(ours(x).x_hat, before, atol=1e-5)
    assert torch.allclose(ours.W_dec.norm(dim=1), torch.ones(10), atol=1e-5)


def test_saelens_sae_trains_further_here(tmp_path, fast_train):
    saelens_sae(tmp_path / "theirs", apply=True)
    data = tmp_path / "x.npz"
    import numpy as np

    np.savez(data, x=np.random.default_rng(0).normal(size=(400, 6)).astype(np.float32))
    settings = {"data_file": str(data), "start_from": str(tmp_path / "theirs"), "max_steps": 3}
    settings |= {"save_under": str(tmp_path / "runs")} | fast_train
    out = run(config_from_settings(settings))
    assert out.result["steps"] == 3 and out.model.d_sae == 10 and out.model.b_dec is not None
    again = SAE.load_from_disk(out.result["saved_to"])
    assert again.cfg.d_sae == 10
    with pytest.raises(ConfigError, match="dict-size"):
        run(config_from_settings(settings | {"dict_size": 12}))


def test_load_sae_refuses_other_architectures_and_missing_folders(tmp_path):
    saelens_sae(tmp_path, apply=True)
    cfg = json.loads((tmp_path / "cfg.json").read_text())
    (tmp_path / "cfg.json").write_text(json.dumps(cfg | {"architecture": "gated"}))
    with pytest.raises(ConfigError, match="'gated' SAE"):
        load_sae(tmp_path)
    (tmp_path / "cfg.json").write_text(json.dumps(cfg | {"architecture": "topk"}))
    with pytest.raises(ConfigError, match="lacks k"):
        load_sae(tmp_path)
    (tmp_path / "cfg.json").write_text(json.dumps(cfg | {"normalize_activations": "layer_norm"}))
    with pytest.raises(ConfigError, match="layer_norm"):
        load_sae(tmp_path)
    with pytest.raises(ConfigError, match="not a folder"):
        load_sae(tmp_path / "missing")
    with pytest.raises(ConfigError, match="no cfg.json"):
        load_sae(tmp_path.parent)


def test_toy_default_keeps_the_reference_sae_without_b_dec(fast_train):
    config = RunConfig(train=TrainConfig(max_steps=1, **fast_train))
    model = run(config).model
    assert model.b_dec is None
    assert [name for name, _ in model.named_parameters()] == ["W_enc", "b_enc", "W_dec"]
