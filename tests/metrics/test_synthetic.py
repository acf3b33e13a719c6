"""SAELens' SynthSAEBench metrics of a saeinit SAE on a hand-made world, worked out by hand."""

import pytest
import torch

from saeinit.metrics.synthetic import Replay, synthetic_metrics
from saeinit.models.relu_sae import ReLUSAE

synthetic = pytest.importorskip("sae_lens.synthetic")

# Three orthonormal features e1, e2, e3 in three dimensions, no bias; four held-out samples:
# e1, e2, e1 + e3, e3. The SAE has two latents: latent 0 reads e1 and writes e1; latent 1 reads
# e2 + e3 but writes e2, so it also fires wherever e3 is active.
CODES = torch.tensor([[1.0, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 1]])


def hand_made():
    features = synthetic.FeatureDictionary(num_features=3, hidden_dim=3, bias=False)
    features.feature_vectors.data = torch.eye(3)
    model = ReLUSAE(3, 2)
    with torch.no_grad():
        model.W_enc.copy_(torch.tensor([[1.0, 0], [0, 1], [0, 1]]))
        model.b_enc.zero_()
        model.W_dec.copy_(torch.tensor([[1.0, 0, 0], [0, 1, 0]]))
    return model, features


def test_metrics_of_a_hand_made_world():
    model, features = hand_made()
    got = synthetic_metrics(model, features, CODES, CODES.to_sparse())
    # Latent 0 fires on samples 1 and 3 and matches e1, active there: precision = recall = 1.
    # Latent 1 matches e2 (its atom) but fires on samples 2, 3, 4 while e2 is active on 2
    # only: precision 1/3, recall 1, F1 = 2 (1/3)(1) / (4/3) = 1/2.
    assert got["precision"] == pytest.approx((1 + 1 / 3) / 2)
    assert got["recall"] == pytest.approx(1.0)
    assert got["f1"] == pytest.approx((1 + 0.5) / 2)
    # Both atoms are features: the matching pairs them with e1 and e2 at cosine 1.
    assert got["mcc"] == pytest.approx(1.0)
    assert got["uniqueness"] == pytest.approx(1.0)
    # Reconstructions e1, e2, e1 + e2, e2: squared errors 0, 0, 2, 2, mean 1. E||x||^2 = 5/4,
    # E[x] = (2, 1, 2)/4 so ||E x||^2 = 9/16: variance 11/16, explained 1 - 16/11.
    assert got["explained_variance"] == pytest.approx(1 - 16 / 11)
    assert got["l0"] == pytest.approx(5 / 4) and got["dead"] == 0
    # Output norms 1, 1, sqrt 2, 1 over input norms 1, 1, sqrt 2, 1.
    assert got["shrinkage"] == pytest.approx(1.0)


def test_an_sae_trained_on_scaled_inputs_is_measured_on_the_world_units():
    model, features = hand_made()
    plain = synthetic_metrics(model, features, CODES, CODES.to_sparse())
    with torch.no_grad():
        model.b_enc.fill_(-1.5)  # at scale 2 the reads are 2 (or 4), so the same latents fire
    scaled = synthetic_metrics(model, features, CODES, CODES.to_sparse(), scale=2.0)
    assert scaled["f1"] == pytest.approx(plain["f1"])
    assert scaled["l0"] == pytest.approx(plain["l0"])
    # Each firing latent reads 2 - 1.5 = 0.5 in the scaled units, i.e. 0.25 once unscaled,
    # where the input has coefficient 1: every output is a quarter of its input's norm.
    assert scaled["shrinkage"] == pytest.approx(0.25)


def test_measuring_leaves_the_model_in_training_mode():
    model, features = hand_made()
    model.train()
    synthetic_metrics(model, features, CODES, CODES.to_sparse())
    assert model.training


def test_replay_hands_out_the_codes_in_order():
    replay = Replay(CODES.to_sparse())
    assert torch.equal(replay.sample(3), CODES[:3])
    assert torch.equal(replay.sample(1), CODES[3:])
