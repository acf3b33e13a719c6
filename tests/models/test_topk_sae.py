"""The TopK architecture, the tied encoder init, and TopK SAEs in SAELens' format."""

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.models import ARCHITECTURES, SAEConfig, TopKSAE, build_sae
from saeinit.models.io import load_sae, save_sae
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


def test_registry_names_every_architecture():
    assert SAEConfig.choices()["architecture"] == tuple(ARCHITECTURES)
    assert tuple(ARCHITECTURES) == ("relu", "topk", "jumprelu", "batchtopk", "matryoshka")
    assert isinstance(build_sae(SAEConfig(architecture="topk", k=2), 4, 8), TopKSAE)


def test_topk_keeps_the_k_largest_relu_latents_and_its_loss_is_the_mse(randomize):
    model = randomize(TopKSAE(6, 12, 3))
    x = torch.randn(20, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = model(x)
        pre = torch.relu(x @ model.W_enc + model.b_enc)
    assert ((out.acts > 0).sum(dim=1) <= 3).all()
    kept = torch.topk(pre, 3, dim=1)
    assert torch.allclose(out.acts.gather(1, kept.indices), kept.values)
    assert torch.allclose(out.acts.sum(dim=1), kept.values.sum(dim=1))
    assert torch.allclose(out.loss, ((out.acts @ model.W_dec - x) ** 2).mean())


def test_tied_topk_run_starts_from_the_tied_dictionary_and_trains(fast_train):
    settings = dict(scenario="16x32", architecture="topk", k=4, encoder_init="tied", init="mod")
    out = run(config_from_settings(settings | fast_train | {"max_steps": 30, "target_mmcs": 1.0}))
    result = out.result
    assert result["config"]["sae"]["architecture"] == "topk"
    assert result["history"][0]["l0"] <= 4 and result["mmcs_initial"] > 0.9
    assert result["steps"] == 30 and isinstance(out.model, TopKSAE)


@pytest.mark.parametrize(
    "kwargs,option",
    [
        ({"architecture": "gated"}, "architecture"),
        ({"k": 0}, "k"),
        ({"architecture": "topk", "k": 9, "dict_size": 8}, "k"),
        ({"encoder_init": "kaiming"}, "encoder-init"),
    ],
)
def test_config_rejects_bad_values(kwargs, option):
    with pytest.raises(ConfigError) as err:
        SAEConfig(**kwargs)
    assert err.value.option == option


def test_topk_round_trips_through_our_format_and_saelens(tmp_path, randomize):
    sae_lens = pytest.importorskip("sae_lens")
    model = randomize(TopKSAE(6, 12, 3))
    save_sae(tmp_path, model, {"sae": {"b_dec": "none"}})
    x = torch.randn(30, 6, generator=torch.Generator().manual_seed(2))
    theirs = sae_lens.SAE.load_from_disk(tmp_path)
    assert isinstance(theirs, sae_lens.TopKSAE) and theirs.cfg.k == 3
    back = load_sae(tmp_path)
    assert isinstance(back, TopKSAE) and back.k == 3
    with torch.no_grad():
        assert torch.allclose(theirs.encode(x), model(x).acts, atol=1e-5)
        assert torch.allclose(back(x).x_hat, model(x).x_hat)


def test_starting_a_relu_run_from_a_topk_sae_is_refused(tmp_path, randomize, fast_train):
    save_sae(tmp_path, randomize(TopKSAE(16, 32, 3)), {"sae": {"b_dec": "none"}})
    settings = dict(scenario="16x32", start_from=str(tmp_path), max_steps=1)
    with pytest.raises(ConfigError) as err:
        run(config_from_settings(settings | fast_train))
    assert err.value.option == "architecture"
