"""jumprelu_start: a JumpReLU SAE's thresholds for informed weights, filled into SAELens'
JumpReLU SAE by fill_saelens(..., threshold=...) and refused by SAEs without thresholds."""

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.interop import InitialWeights, fill_saelens, initial_weights, jumprelu_start

DIM, LATENTS = 16, 32


def test_the_hand_worked_thresholds_and_gain():
    # Two latents reading the two coordinates (tied, unit atoms), no biases; rows (2, 0),
    # (0, 1), (1, 0), (0, 3). One latent per row: the 4th largest positive pre-activation
    # (3, 2, 1, 1) is the threshold, 1; a JumpReLU fires above it, so 2 and 3 fire. The
    # reconstruction that fires is (2, 0), (0, 0), (0, 0), (0, 3): its least-squares gain is
    # (4 + 9) / (4 + 9) = 1, so the encoder keeps its scale and the threshold stays 1.
    eye = torch.eye(2)
    weights = InitialWeights(eye, torch.zeros(2), eye, torch.zeros(2))
    sample = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 3.0]])
    started, threshold = jumprelu_start(weights, sample, 1)
    assert torch.equal(threshold, torch.ones(2)) and torch.equal(started.W_enc, eye)
    # Halving the encoder halves every pre-activation: the threshold halves to 0.5, and the
    # firing reconstruction (1, 0), (0, 1.5) has gain (2 + 4.5) / (1 + 2.25) = 2, which
    # doubles the encoder back to the identity and the threshold back to 1.
    half = weights._replace(W_enc=eye / 2)
    started, threshold = jumprelu_start(half, sample, 1)
    assert torch.allclose(threshold, torch.ones(2)) and torch.allclose(started.W_enc, eye)
    assert torch.equal(started.W_dec, eye)


@pytest.fixture(scope="module")
def started(toy):
    weights = initial_weights(toy[0], LATENTS, "data", "tied", progress=False)
    return weights, *jumprelu_start(weights, toy[0][:1024], 4)


def test_thresholds_fire_about_the_asked_latents_on_fresh_rows(toy, started):
    _, weights, threshold = started
    assert threshold.shape == (LATENTS,) and torch.unique(threshold).numel() == 1
    pre_acts = (toy[0][1024:] - weights.b_dec) @ weights.W_enc + weights.b_enc
    l0 = (pre_acts > threshold).sum(dim=1).float().mean().item()
    assert 3.0 < l0 < 5.0  # set on the first 1,024 rows, measured on the other 976


def test_saelens_jumprelu_sae_takes_them(toy, started):
    pytest.importorskip("sae_lens")
    from sae_lens import (
        BatchTopKTrainingSAE,
        BatchTopKTrainingSAEConfig,
        JumpReLUTrainingSAE,
        JumpReLUTrainingSAEConfig,
    )

    _, weights, threshold = started
    sae = fill_saelens(
        JumpReLUTrainingSAE(JumpReLUTrainingSAEConfig(d_in=DIM, d_sae=LATENTS)), weights, threshold
    )
    assert torch.equal(sae.threshold.detach(), threshold)
    with torch.no_grad():
        fired = (sae.encode(toy[0]) > 0).sum(dim=1).float()
    pre_acts = (toy[0] - weights.b_dec) @ weights.W_enc + weights.b_enc
    assert torch.equal(fired, (pre_acts > threshold).sum(dim=1).float())
    topk = BatchTopKTrainingSAE(BatchTopKTrainingSAEConfig(d_in=DIM, d_sae=LATENTS, k=4))
    with pytest.raises(ConfigError) as err:
        fill_saelens(topk, weights, threshold)
    assert err.value.option == "threshold" and "jumprelu" in str(err.value)
    with pytest.raises(ConfigError, match=r"not \(32,\)"):
        fill_saelens(sae, weights, threshold[:8])


@pytest.mark.parametrize("bad", [0, -1, float("nan")])
def test_a_start_l0_that_is_not_positive_is_refused_naming_it(bad):
    with pytest.raises(ConfigError) as err:
        jumprelu_start(
            InitialWeights(torch.eye(2), torch.zeros(2), torch.eye(2), torch.zeros(2)),
            torch.ones(4, 2),
            bad,
        )
    assert err.value.option == "start_l0"
