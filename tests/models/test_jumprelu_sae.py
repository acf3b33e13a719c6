"""The JumpReLU architecture: its straight-through gradients on a hand-worked example, its
thresholds learning in a real run, its options refused when bad, and JumpReLU SAEs in SAELens'
format both ways."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from saeinit.config import ConfigError
from saeinit.models import SAEConfig, build_sae
from saeinit.models.io import CONFIG_FILE, WEIGHTS_FILE, load_sae, save_sae
from saeinit.models.jumprelu_sae import JumpReLUSAE
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


def one_latent(l0: float, bandwidth: float, threshold: float) -> JumpReLUSAE:
    """d_in 1, one latent: pre-activation = x, atom 1, no biases."""
    model = JumpReLUSAE(1, 1, l0_coefficient=l0, bandwidth=bandwidth)
    with torch.no_grad():
        model.W_enc.fill_(1.0)
        model.b_enc.zero_()
        model.W_dec.fill_(1.0)
        model.threshold.fill_(threshold)
    return model


def test_threshold_gradient_is_the_straight_through_estimate_worked_by_hand():
    # threshold 0.5, bandwidth 0.2: both inputs are inside the kernel's window (0.4, 0.6)
    model = one_latent(l0=0.1, bandwidth=0.2, threshold=0.5)
    x = torch.tensor([[0.45], [0.55]])
    out = model(x)
    assert out.acts.flatten().tolist() == pytest.approx([0.0, 0.55])
    # MSE = (0.45^2 + 0) / 2; L0 averages 1/2 over the batch; coefficient 0.1 / d_in
    assert out.loss.item() == pytest.approx(0.45**2 / 2 + 0.1 * 0.5)
    out.loss.backward()
    # dLoss/dacts = 2 (x_hat - x) / (B d) = [-0.45, 0]. Through the JumpReLU:
    # -(threshold / bandwidth) K(.) dLoss/dacts = -(0.5 / 0.2) * (-0.45) = 1.125 (first sample)
    # Through the L0 step: 0.1 * (1 / B) * sum of -(1 / bandwidth) K(.) = 0.1 * (-5) = -0.5
    assert model.threshold.grad.item() == pytest.approx(1.125 - 0.5)
    # the encoder gets the MSE's gradient where the latent fires, nothing through the step
    assert model.W_enc.grad.item() == pytest.approx(0.0)
    assert model.b_enc.grad.item() == pytest.approx(0.0)


def test_no_threshold_gradient_outside_the_kernel_window():
    model = one_latent(l0=1.0, bandwidth=0.2, threshold=0.5)
    with torch.no_grad():
        model.W_enc.fill_(2.0)  # pre-activations 0.2 and 0.9, both outside (0.4, 0.6)
    model(torch.tensor([[0.1], [0.45]])).loss.backward()
    assert model.threshold.grad.item() == 0.0
    assert model.W_enc.grad.item() != 0.0  # the firing sample trains the encoder


def test_the_l0_term_pushes_thresholds_up_and_they_stay_non_negative():
    model = one_latent(l0=1.0, bandwidth=0.2, threshold=0.5)
    x = torch.tensor([[0.52], [0.55]])  # reconstructed exactly: only the L0 term has a gradient
    out = model(x)
    assert out.mse.item() == pytest.approx(0.0) and out.sparsity.item() == pytest.approx(2 / 2)
    out.loss.backward()
    assert model.threshold.grad.item() == pytest.approx(-5.0)  # descent raises the threshold
    with torch.no_grad():
        model.threshold.fill_(-0.3)
    model.normalize_decoder()  # the projection the trainer applies before every step
    assert model.threshold.item() == 0.0


def test_thresholds_learn_and_mmcs_rises_in_a_short_toy_run(fast_train):
    settings = dict(scenario="16x32", architecture="jumprelu", max_steps=150, target_mmcs=1.0)
    out = run(config_from_settings(settings | fast_train | {"eval_every": 50, "log_every": 50}))
    result, model = out.result, out.model
    assert isinstance(model, JumpReLUSAE) and result["steps"] == 150
    assert result["config"]["sae"]["jumprelu_l0"] == 0.01
    assert result["mmcs_final"] > result["mmcs_initial"]
    moved = (model.threshold - 0.01).abs()
    assert (moved > 1e-3).float().mean() > 0.5 and (model.threshold >= 0).all()
    assert len(set(model.threshold.tolist())) > 1  # per-latent, not one shared value


def test_a_new_sae_starts_at_the_configured_threshold():
    model = build_sae(SAEConfig(architecture="jumprelu", jumprelu_init_threshold=0.2), 4, 8)
    assert isinstance(model, JumpReLUSAE) and torch.equal(model.threshold, torch.full((8,), 0.2))
    assert model.bandwidth == 0.05 and model.l0_coefficient == 0.01


def test_start_l0_sets_thresholds_where_the_batch_fires_and_the_encoder_at_its_gain():
    # Three latents reading twice the coordinates of (3, 1, 0) and (2, 0, 5), atoms the unit
    # axes. Pre-activations (6, 2, 0) and (4, 0, 10); start L0 1.5 keeps the batch's 3 largest,
    # 10, 6 and 4, so the threshold is 4 and (6, 0, 0), (0, 0, 10) fire. Their reconstruction
    # is twice the data's coordinates: least-squares gain (18 + 50) / (36 + 100) = 0.5, which
    # halves the encoder and the threshold.
    model = build_sae(SAEConfig(architecture="jumprelu", jumprelu_start_l0=1.5), 3, 3)
    with torch.no_grad():
        model.W_enc.copy_(2 * torch.eye(3))
        model.b_enc.zero_()
        model.W_dec.copy_(torch.eye(3))
    assert model.calibrates and model.b_dec is None
    sample = torch.tensor([[3.0, 1.0, 0.0], [2.0, 0.0, 5.0]])
    model.calibrate(sample)
    assert torch.allclose(model.threshold, torch.full((3,), 2.0))
    assert torch.allclose(model.W_enc, torch.eye(3))
    acts = model.encode(sample)
    assert torch.allclose(acts, torch.tensor([[3.0, 0.0, 0.0], [0.0, 0.0, 5.0]]))


def test_start_l0_leaves_the_encoder_when_its_reconstruction_points_away_from_the_data():
    # Atoms the negative axes: the firing reconstruction (-6, 0, 0), (0, 0, -10) has a
    # negative least-squares gain, which no scale of the encoder could use: it stays.
    model = build_sae(SAEConfig(architecture="jumprelu", jumprelu_start_l0=1.5), 3, 3)
    with torch.no_grad():
        model.W_enc.copy_(2 * torch.eye(3))
        model.b_enc.zero_()
        model.W_dec.copy_(-torch.eye(3))
    model.calibrate(torch.tensor([[3.0, 1.0, 0.0], [2.0, 0.0, 5.0]]))
    assert torch.equal(model.threshold, torch.full((3,), 4.0))
    assert torch.equal(model.W_enc, 2 * torch.eye(3))


def test_without_start_l0_a_run_starts_at_saelens_threshold_and_with_it_sparse():
    settings = {"scenario": "16x32", "architecture": "jumprelu", "max_steps": 0, "init": "mod"}
    settings |= {"encoder_init": "tied"}
    settings |= {"threads": 1, "progress": False, "eval_samples": 512}
    plain = run(config_from_settings(settings))
    assert not plain.model.calibrates and torch.all(plain.model.threshold == 0.01)
    started = run(config_from_settings(settings | {"jumprelu_start_l0": 2.0}))
    assert torch.all(started.model.threshold > 0.01)
    # about 2 latents per held-out sample, where SAELens' threshold fires far more
    assert started.result["history"][0]["l0"] < 2 * 2 < plain.result["history"][0]["l0"]
    assert started.result["init_samples"] > plain.result["init_samples"]  # its batch counted


@pytest.mark.parametrize(
    "kwargs,option",
    [
        ({"jumprelu_start_l0": 0.0}, "jumprelu-start-l0"),
        ({"jumprelu_start_l0": 40.0, "dict_size": 32}, "jumprelu-start-l0"),
        ({"jumprelu_l0": -0.1}, "jumprelu-l0"),
        ({"jumprelu_l0": float("nan")}, "jumprelu-l0"),
        ({"jumprelu_bandwidth": 0.0}, "jumprelu-bandwidth"),
        ({"jumprelu_bandwidth": -1.0}, "jumprelu-bandwidth"),
        ({"jumprelu_init_threshold": -0.01}, "jumprelu-init-threshold"),
    ],
)
def test_bad_options_are_refused_in_one_line_naming_the_option(kwargs, option):
    with pytest.raises(ConfigError) as err:
        SAEConfig(architecture="jumprelu", **kwargs)
    assert err.value.option == option and "\n" not in str(err.value)
    with pytest.raises(ConfigError) as err:
        config_from_settings({"architecture": "jumprelu"} | kwargs)
    assert err.value.option == option


def randomized(model: JumpReLUSAE, seed: int = 0) -> JumpReLUSAE:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=g))
        model.threshold.abs_()
    model.normalize_decoder()
    return model


@pytest.mark.parametrize("b_dec,scale", [(False, None), (True, None), (True, 2.5)])
def test_saved_jumprelu_loads_in_saelens_with_equal_outputs_and_back(tmp_path, b_dec, scale):
    sae_lens = pytest.importorskip("sae_lens")
    model = randomized(JumpReLUSAE(6, 10, 0.3, 0.1, 0.02, b_dec=b_dec))
    settings = {"sae": {"architecture": "jumprelu", "b_dec": "mean" if b_dec else "none"}}
    save_sae(tmp_path, model, settings, scaling_factor=scale)
    assert torch.equal(load_file(tmp_path / WEIGHTS_FILE)["threshold"], model.threshold)
    cfg = json.loads((tmp_path / CONFIG_FILE).read_text())
    assert cfg["architecture"] == "jumprelu" and cfg["l0_coefficient"] == 0.3
    theirs = sae_lens.SAE.load_from_disk(tmp_path)
    assert isinstance(theirs, sae_lens.JumpReLUSAE)
    scale = scale or 1.0
    x = torch.randn(60, 6, generator=torch.Generator().manual_seed(1)) * 2
    back = load_sae(tmp_path)
    assert isinstance(back, JumpReLUSAE) and torch.equal(back.threshold, model.threshold)
    assert (back.l0_coefficient, back.bandwidth, back.init_threshold) == (0.3, 0.1, 0.02)
    with torch.no_grad():
        acts = model.encode(x * scale)
        assert 0 < (acts > 0).float().mean() < 1  # some latents cut by their threshold
        assert torch.allclose(theirs.encode(x), acts, atol=1e-5)
        assert torch.allclose(theirs.decode(acts), model.decode(acts) / scale, atol=1e-5)
        assert torch.allclose(back(x).x_hat, theirs(x), atol=1e-5)


def saelens_jumprelu(folder):
    """A SAELens JumpReLU SAE with random weights (atoms not unit-norm), saved by SAELens."""
    from sae_lens import JumpReLUSAE as TheirJumpReLU
    from sae_lens import JumpReLUSAEConfig

    theirs = TheirJumpReLU(JumpReLUSAEConfig(d_in=6, d_sae=10))
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for param in theirs.parameters():
            param.copy_(torch.randn(param.shape, generator=g))
        theirs.threshold.abs_()
    theirs.save_model(folder)
    return theirs


def test_saelens_jumprelu_loads_here_and_folds_its_atom_norms_into_the_thresholds(tmp_path):
    pytest.importorskip("sae_lens")
    theirs = saelens_jumprelu(tmp_path)
    ours = load_sae(tmp_path)
    assert isinstance(ours, JumpReLUSAE) and ours.b_dec is not None
    assert ours.l0_coefficient == 0.01  # SAELens' inference cfg.json holds no training keys
    x = torch.randn(80, 6, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        assert torch.allclose(ours.encode(x), theirs.encode(x), atol=1e-5)
        assert torch.allclose(ours(x).x_hat, theirs(x), atol=1e-5)
        before = ours.encode(x)
        ours.fold_decoder_norm()  # the form training keeps, for --start-from: same function
        assert torch.allclose(ours.W_dec.norm(dim=1), torch.ones(10), atol=1e-5)
        assert torch.equal(ours.encode(x) > 0, before > 0)
        assert torch.allclose(ours(x).x_hat, theirs(x), atol=1e-5)


def test_a_jumprelu_file_without_its_threshold_is_refused_naming_it(tmp_path):
    save_sae(tmp_path, randomized(JumpReLUSAE(6, 10)), {"sae": {"b_dec": "none"}})
    tensors = load_file(tmp_path / WEIGHTS_FILE)
    save_file({**tensors, "threshold": torch.zeros(3)}, tmp_path / WEIGHTS_FILE)
    with pytest.raises(ConfigError, match=r"threshold in .* has shape \(3,\)"):
        load_sae(tmp_path, option="start-from")
    del tensors["threshold"]
    save_file(tensors, tmp_path / WEIGHTS_FILE)
    with pytest.raises(ConfigError) as err:
        load_sae(tmp_path, option="start-from")
    assert err.value.option == "start-from" and "lacks threshold" in err.value.message
    cfg = json.loads((tmp_path / CONFIG_FILE).read_text())
    (tmp_path / CONFIG_FILE).write_text(json.dumps(cfg | {"jumprelu_bandwidth": 0}))
    with pytest.raises(ConfigError, match="jumprelu_bandwidth in the cfg.json"):
        load_sae(tmp_path)


def test_a_run_resumes_from_a_saved_jumprelu_keeping_its_thresholds(tmp_path, fast_train):
    model = randomized(JumpReLUSAE(16, 32))
    save_sae(tmp_path / "start", model, {"sae": {"architecture": "jumprelu", "b_dec": "none"}})
    settings = dict(scenario="16x32", architecture="jumprelu", start_from=str(tmp_path / "start"))
    out = run(config_from_settings(settings | fast_train | {"max_steps": 0}))
    assert isinstance(out.model, JumpReLUSAE)
    assert torch.allclose(out.model.threshold, model.threshold)
