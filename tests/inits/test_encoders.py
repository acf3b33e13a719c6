import pytest
import torch

from saeinit.config import ConfigError
from saeinit.inits.encoders import ENCODER_INITS
from saeinit.models.config import SAEConfig
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings

BASE = dict(scenario="8x16", init="data", omp_k=2, max_steps=0, threads=1, progress=False)


def start(encoder_init):
    return run(config_from_settings(BASE | {"encoder_init": encoder_init})).model


@pytest.mark.parametrize("name", ENCODER_INITS)
def test_every_encoder_init_gives_finite_weights_over_the_same_dictionary(name):
    model, default = start(name), start("default")
    assert torch.equal(model.W_dec, default.W_dec)
    assert model.W_enc.shape == (8, 16) and model.b_enc.shape == (16,)
    assert torch.isfinite(model.W_enc).all() and torch.isfinite(model.b_enc).all()
    assert torch.equal(model.W_enc, default.W_enc) == (name == "default")


def test_tied_makes_the_encoder_the_decoder_transpose_with_no_bias():
    model = start("tied")
    assert torch.allclose(model.W_enc, model.W_dec.T) and not model.b_enc.any()


def test_an_unknown_encoder_init_is_refused_naming_the_option_and_the_choices():
    with pytest.raises(ConfigError) as err:
        SAEConfig(encoder_init="nope")
    assert err.value.option == "encoder-init"
    assert all(name in err.value.message for name in ENCODER_INITS)
