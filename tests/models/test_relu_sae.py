import json

import pytest
import torch
from safetensors.torch import load_file

from saeinit.config import ConfigError
from saeinit.models import ReLUSAE, SAEConfig
from saeinit.models.io import load_sae, save_sae


def make_model(d=4, n=6, l1=0.5):
    model = ReLUSAE(d, n, l1)
    model.reset_encoder(torch.Generator().manual_seed(0))
    model.set_decoder(torch.randn(n, d, generator=torch.Generator().manual_seed(1)))
    return model


def test_forward_matches_the_reference_loss_by_hand():
    model = make_model()
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(2))
    out = model(x)
    acts = torch.relu(x @ model.W_enc + model.b_enc)
    x_hat = acts @ model.W_dec
    mse = ((x_hat - x) ** 2).mean()
    l1 = acts.abs().sum(dim=1).mean() / 6
    assert torch.allclose(out.x_hat, x_hat)
    assert torch.allclose(out.loss, mse + 0.5 * l1)
    assert torch.allclose(out.sparsity, l1)


def test_set_weights_normalises_atoms():
    model = make_model()
    assert torch.allclose(model.W_dec.norm(dim=1), torch.ones(6), atol=1e-6)
    with torch.no_grad():
        model.W_dec.mul_(3)
    model.normalize_decoder()
    assert torch.allclose(model.W_dec.norm(dim=1), torch.ones(6), atol=1e-6)


def test_encoder_default_init_bound():
    model = ReLUSAE(16, 32, 0.1)
    model.reset_encoder(torch.Generator().manual_seed(0))
    assert model.W_enc.abs().max() <= 0.25 and model.W_enc.abs().max() > 0.2


@pytest.mark.parametrize("kwargs,option", [({"dict_size": 0}, "dict-size"), ({"l1": -1}, "l1")])
def test_config_rejects_bad_values(kwargs, option):
    with pytest.raises(ConfigError) as err:
        SAEConfig(**kwargs)
    assert err.value.option == option


def test_save_uses_saelens_names_and_shapes_and_round_trips(tmp_path):
    model = make_model(d=4, n=6)
    features = torch.randn(5, 4)
    save_sae(tmp_path, model, {"init": "orthogonal"}, features)
    tensors = load_file(tmp_path / "sae_weights.safetensors")
    assert {k: tuple(v.shape) for k, v in tensors.items()} == {
        "W_enc": (4, 6),
        "b_enc": (6,),
        "W_dec": (6, 4),
        "b_dec": (4,),
    }
    assert torch.equal(tensors["b_dec"], torch.zeros(4))
    cfg = json.loads((tmp_path / "cfg.json").read_text())
    assert (cfg["d_in"], cfg["d_sae"], cfg["architecture"]) == (4, 6, "standard")
    assert cfg["saeinit"] == {"init": "orthogonal"}
    assert torch.equal(load_file(tmp_path / "ground_truth.safetensors")["features"], features)
    loaded = load_sae(tmp_path)
    x = torch.randn(3, 4)
    assert torch.allclose(loaded(x).x_hat, model(x).x_hat)
