"""ordered_by_use: latents reordered by how often a sample fires them, for Matryoshka SAEs."""

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.interop import InitialWeights, ordered_by_use


def weights():
    # Three latents reading the coordinates of 2-d inputs: latent 0 reads x, latent 1 reads
    # -x, latent 2 reads y; b_dec (1, 0) is subtracted first.
    W_enc = torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]])
    W_dec = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    return InitialWeights(W_enc, torch.zeros(3), W_dec, torch.tensor([1.0, 0.0]))


def test_latents_come_most_fired_first_and_the_sae_is_the_same_function():
    # Minus b_dec the rows are (2, 1), (-3, 2), (1, 3), (-1, 4): pre-activations
    # [2, -2, 1], [-3, 3, 2], [1, -1, 3], [-1, 1, 4]. One latent per row on average: the 4th
    # largest positive value, 2, is the threshold, and every value at or above it fires
    # (4, 3, 3, 2, 2): latent 2 on rows 2, 3 and 4, latent 1 on row 2, latent 0 on row 1:
    # uses [1, 1, 3] -> order 2, 0, 1.
    sample = torch.tensor([[3.0, 1.0], [-2.0, 2.0], [2.0, 3.0], [0.0, 4.0]])
    ordered = ordered_by_use(weights(), sample, per_sample=1)
    assert torch.equal(ordered.W_dec, weights().W_dec[[2, 0, 1]])
    assert torch.equal(ordered.W_enc, weights().W_enc[:, [2, 0, 1]])
    assert torch.equal(ordered.b_dec, weights().b_dec)

    def reconstruction(w):
        acts = torch.relu((sample - w.b_dec) @ w.W_enc + w.b_enc)
        return acts @ w.W_dec + w.b_dec

    assert torch.allclose(reconstruction(ordered), reconstruction(weights()))


def test_the_threshold_and_the_encoder_bias_decide_the_order():
    # Latent i reads coordinate i, with encoder bias (3, 0, 0): pre-activations
    # [3.1, 5, 4], [3.2, 4, 1.5], [3.1, 0, 3], [3.3, 0, 0.5]. The 4 largest are 5, 4, 4, 3.3:
    # latent 1 fires twice, latents 0 and 2 once each -> order 1, 0, 2. Counting every
    # positive value would give uses (4, 2, 4) -> 0, 2, 1; without the bias the threshold
    # would be 3 and the order 1, 2, 0.
    eye = torch.eye(3)
    weights = InitialWeights(eye, torch.tensor([3.0, 0.0, 0.0]), eye, torch.zeros(3))
    sample = torch.tensor([[0.1, 5.0, 4.0], [0.2, 4.0, 1.5], [0.1, 0.0, 3.0], [0.3, 0.0, 0.5]])
    ordered = ordered_by_use(weights, sample, per_sample=1)
    assert torch.equal(ordered.W_dec, eye[[1, 0, 2]])
    assert torch.equal(ordered.b_enc, torch.tensor([0.0, 3.0, 0.0]))


def test_a_sample_of_another_width_is_refused_naming_it():
    with pytest.raises(ConfigError) as err:
        ordered_by_use(weights(), torch.ones(4, 3), per_sample=1)
    assert err.value.option == "sample" and "[n, 2]" in str(err.value)


@pytest.mark.parametrize("bad", [0, -1, float("nan")])
def test_a_per_sample_that_is_not_positive_is_refused_naming_it(bad):
    with pytest.raises(ConfigError) as err:
        ordered_by_use(weights(), torch.ones(4, 2), per_sample=bad)
    assert err.value.option == "per_sample"
