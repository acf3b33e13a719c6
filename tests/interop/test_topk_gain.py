"""topk_gain: the encoder scaled by the least-squares gain of the per-row top-k
reconstruction, each row keeping its top k."""

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.interop import InitialWeights, topk_gain

SAMPLE = torch.tensor([[3.0, 1.0, 0.5], [2.0, 1.5, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 0.2]])


def weights(scale=0.5, b_enc=(0.1, 0.0, 0.0)):
    eye = torch.eye(3)
    return InitialWeights(eye * scale, torch.tensor(b_enc), eye, torch.zeros(3))


def test_the_gain_fits_the_top_k_reconstruction_in_least_squares():
    # pre-activations x / 2 + (0.1, 0, 0); each row's top 1 is latent 0, 0, 1, 0 at 1.6,
    # 1.1, 1 and 0.6: <x, r> = 4.8 + 2.2 + 2 + 0.6 = 9.6, ||r||^2 = 2.56 + 1.21 + 1 + 0.36
    # = 5.13, so the gain is 9.6 / 5.13
    scaled = topk_gain(weights(), SAMPLE, k=1)
    gain = 9.6 / 5.13
    assert torch.allclose(scaled.W_enc, torch.eye(3) * 0.5 * gain)
    assert torch.allclose(scaled.b_enc, torch.tensor([0.1 * gain, 0.0, 0.0]))
    assert torch.equal(scaled.W_dec, weights().W_dec) and torch.equal(scaled.b_dec, weights().b_dec)
    before = (SAMPLE @ weights().W_enc + weights().b_enc).topk(1).indices
    after = (SAMPLE @ scaled.W_enc + scaled.b_enc).topk(1).indices
    assert torch.equal(before, after)


def test_an_encoder_at_half_scale_without_bias_is_doubled():
    scaled = topk_gain(weights(b_enc=(0.0, 0.0, 0.0)), SAMPLE, k=2)
    assert torch.allclose(scaled.W_enc, torch.eye(3))


@pytest.mark.parametrize(
    ("sample", "k", "option"),
    [
        (SAMPLE, 4, "k"),  # k above the width
        (SAMPLE, 0, "k"),
        (SAMPLE[:, :2], 1, "sample"),
        (torch.zeros(2, 3), 1, "sample"),  # fires nothing: no gain to fit
    ],
)
def test_bad_arguments_are_refused_by_name(sample, k, option):
    with pytest.raises(ConfigError, match=option):
        topk_gain(weights(b_enc=(0.0, 0.0, 0.0)), sample, k=k)
