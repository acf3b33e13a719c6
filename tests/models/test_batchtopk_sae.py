"""The BatchTopK architecture: k x batch latents kept across the batch in a training step, a
learned threshold at inference, bad options refused, and its SAELens form (a JumpReLU SAE with
one threshold) both ways."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from saeinit.config import ConfigError
from saeinit.models import SAEConfig, build_sae
from saeinit.models.batchtopk_sae import BatchTopKSAE
from saeinit.models.io import CONFIG_FILE, WEIGHTS_FILE, load_sae, save_sae
from saeinit.models.jumprelu_sae import JumpReLUSAE
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings

OURS = {"sae": {"architecture": "batchtopk", "b_dec": "none"}}
"""The settings a run of ours records in cfg.json."""


def data(n=20, d=6, seed=1):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def test_a_training_step_keeps_the_k_x_batch_largest_relu_latents_of_the_batch(randomize):
    model = randomize(BatchTopKSAE(6, 12, k=3))
    x = data()
    out = model(x)  # training mode, autograd on: a training step
    pre = torch.relu(x @ model.W_enc + model.b_enc).detach()
    assert int((out.acts > 0).sum()) == 3 * 20
    kept = pre.flatten().topk(60)
    assert torch.allclose(out.acts.detach().flatten()[kept.indices], kept.values)
    assert len(set((out.acts > 0).sum(dim=1).tolist())) > 1  # per sample: k on average only
    assert out.sparsity is None and torch.allclose(out.loss, out.mse)
    out.loss.backward()
    assert model.W_enc.grad.abs().sum() > 0


def test_the_threshold_is_a_running_average_of_the_smallest_kept_activation(randomize):
    model = randomize(BatchTopKSAE(6, 12, k=3, threshold_lr=0.25))
    x1, x2 = data(seed=1), data(seed=2)
    smallest1 = model(x1).acts.detach()
    smallest1 = smallest1[smallest1 > 0].min().item()
    assert model.topk_threshold.item() == pytest.approx(0.25 * smallest1)  # from 0
    smallest2 = model(x2).acts.detach()
    smallest2 = smallest2[smallest2 > 0].min().item()
    expected = 0.75 * 0.25 * smallest1 + 0.25 * smallest2
    assert model.topk_threshold.item() == pytest.approx(expected)
    assert model.topk_threshold.dtype == torch.float64


@pytest.mark.parametrize("how", ["eval", "no_grad"])
def test_inference_uses_the_threshold_and_leaves_it_alone(randomize, how):
    model = randomize(BatchTopKSAE(6, 12, k=3))
    model.topk_threshold.fill_(0.8)
    x = data(n=40)
    pre = (x @ model.W_enc + model.b_enc).detach()
    if how == "eval":
        model.eval()
        acts = model(x).acts.detach()
    else:  # how the trainer's evaluation and live-MMCS probe call it
        with torch.no_grad():
            acts = model(x).acts
    assert torch.equal(acts, torch.relu(pre) * (pre > 0.8))
    assert int((acts > 0).sum()) != 3 * 40  # not the batch top-k
    assert model.topk_threshold.item() == 0.8
    model.train()
    model(x)
    assert model.topk_threshold.item() != 0.8  # a training step moves it


def test_a_short_toy_run_trains_learns_a_threshold_and_mmcs_rises(fast_train, tmp_path):
    settings = dict(scenario="16x32", architecture="batchtopk", batchtopk_k=4, target_mmcs=1.0)
    settings |= fast_train | {"max_steps": 150, "eval_every": 50, "log_every": 50}
    out = run(config_from_settings(settings | {"save_under": str(tmp_path)}))
    result, model = out.result, out.model
    assert isinstance(model, BatchTopKSAE) and result["steps"] == 150 and model.k == 4
    assert result["mmcs_final"] > result["mmcs_initial"]
    assert model.topk_threshold.item() > 0
    # the history rows are measured at inference (the threshold, calibrated on a batch before
    # the start), not with the batch's top-k: about k latents per sample, not exactly k
    assert 0 < result["history"][0]["l0"] < 2 * 4 and result["history"][-1]["l0"] != 4
    # resumed from what it saved, it is the same BatchTopK SAE with the same threshold
    again = settings | {"start_from": result["saved_to"], "max_steps": 0}
    resumed = run(config_from_settings(again)).model
    assert isinstance(resumed, BatchTopKSAE)
    assert resumed.topk_threshold.item() == pytest.approx(model.topk_threshold.item(), rel=1e-6)


@pytest.mark.parametrize(
    "kwargs,option",
    [
        ({"batchtopk_k": 0}, "batchtopk-k"),
        ({"batchtopk_k": -2.0}, "batchtopk-k"),
        ({"batchtopk_k": 9, "dict_size": 8}, "batchtopk-k"),
        ({"batchtopk_threshold_lr": 0.0}, "batchtopk-threshold-lr"),
        ({"batchtopk_threshold_lr": 1.5}, "batchtopk-threshold-lr"),
    ],
)
def test_bad_options_are_refused_in_one_line_naming_the_option(kwargs, option):
    with pytest.raises(ConfigError) as err:
        SAEConfig(architecture="batchtopk", **kwargs)
    assert err.value.option == option and "\n" not in str(err.value)


def test_k_above_the_dictionary_the_data_implies_is_refused(fast_train):
    settings = dict(scenario="16x32", architecture="batchtopk", batchtopk_k=40, max_steps=1)
    with pytest.raises(ConfigError) as err:
        run(config_from_settings(settings | fast_train))
    assert err.value.option == "batchtopk-k"


def test_k_may_be_fractional_as_in_saelens(randomize):
    model = build_sae(SAEConfig(architecture="batchtopk", batchtopk_k=2.5), 6, 12)
    randomize(model)
    assert int((model(data(n=10)).acts > 0).sum()) == 25


@pytest.mark.parametrize("b_dec,scale", [(False, None), (True, 2.0)])
def test_saved_batchtopk_loads_in_saelens_as_jumprelu_with_equal_outputs(
    tmp_path, randomize, saelens_reads_it_as_jumprelu, b_dec, scale
):
    model = randomize(BatchTopKSAE(6, 12, k=3, threshold_lr=0.05, b_dec=b_dec))
    model.topk_threshold.fill_(0.7)
    settings = {"sae": {"architecture": "batchtopk", "b_dec": "mean" if b_dec else "none"}}
    save_sae(tmp_path, model, settings, scaling_factor=scale)
    assert torch.equal(load_file(tmp_path / WEIGHTS_FILE)["threshold"], torch.full((12,), 0.7))
    x = data(n=50) * 2
    theirs = saelens_reads_it_as_jumprelu(tmp_path, model, scale, x)
    back = load_sae(tmp_path)  # our record of the run says batchtopk: it comes back as one
    assert isinstance(back, BatchTopKSAE) and (back.k, back.threshold_lr) == (3, 0.05)
    assert back.topk_threshold.item() == pytest.approx(0.7)
    with torch.no_grad():
        assert torch.allclose(back(x).x_hat, theirs(x), atol=1e-5)
    cfg = json.loads((tmp_path / CONFIG_FILE).read_text())
    (tmp_path / CONFIG_FILE).write_text(json.dumps(cfg | {"saeinit": None}))
    plain = load_sae(tmp_path)  # without that record: SAELens' JumpReLU, the same function
    assert isinstance(plain, JumpReLUSAE)
    with torch.no_grad():
        assert torch.allclose(plain(x).x_hat, theirs(x), atol=1e-5)


def test_saelens_batchtopk_saved_for_inference_loads_here_as_jumprelu(tmp_path):
    sae_lens = pytest.importorskip("sae_lens")
    theirs = sae_lens.BatchTopKTrainingSAE(
        sae_lens.BatchTopKTrainingSAEConfig(d_in=6, d_sae=12, k=3)
    )
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for param in theirs.parameters():
            param.copy_(torch.randn(param.shape, generator=g))
        theirs.topk_threshold.fill_(0.6)
    theirs.save_inference_model(tmp_path)
    inference = sae_lens.SAE.load_from_disk(tmp_path)
    ours = load_sae(tmp_path)
    assert isinstance(ours, JumpReLUSAE) and torch.allclose(ours.threshold, torch.full((12,), 0.6))
    x = data(n=30)
    with torch.no_grad():
        assert torch.allclose(ours.encode(x), inference.encode(x), atol=1e-5)
        assert torch.allclose(ours(x).x_hat, inference(x), atol=1e-5)


def test_a_batchtopk_file_with_thresholds_that_differ_is_refused(tmp_path, randomize):
    save_sae(tmp_path, randomize(BatchTopKSAE(6, 12, k=3)), OURS)
    tensors = load_file(tmp_path / WEIGHTS_FILE)
    tensors["threshold"][0] = 0.5
    save_file(tensors, tmp_path / WEIGHTS_FILE)
    with pytest.raises(ConfigError) as err:
        load_sae(tmp_path, option="start-from")
    assert err.value.option == "start-from" and "one for all" in err.value.message
    cfg = json.loads((tmp_path / CONFIG_FILE).read_text())
    (tmp_path / CONFIG_FILE).write_text(json.dumps(cfg | {"k": 13}))
    with pytest.raises(ConfigError, match="k in the cfg.json"):
        load_sae(tmp_path)


def test_calibration_sets_the_threshold_a_training_step_moves_towards():
    # Two inputs, three latents reading the coordinates: activations (3, 1, 0) and (2, 0, 5).
    # k = 1.5 keeps the 3 largest of the batch, 5, 3 and 2: the threshold is their smallest.
    model = BatchTopKSAE(3, 3, k=1.5)
    with torch.no_grad():
        model.W_enc.copy_(torch.eye(3))
        model.b_enc.zero_()
    model.calibrate(torch.tensor([[3.0, 1.0, 0.0], [2.0, 0.0, 5.0]]))
    assert model.topk_threshold.item() == 2.0
    model.eval()
    acts = model.encode(torch.tensor([[3.0, 1.0, 0.0]]))
    assert torch.equal(acts, torch.tensor([[3.0, 0.0, 0.0]]))  # 1 is below the threshold


def test_a_run_starts_from_a_calibrated_threshold():
    config = config_from_settings(
        {"scenario": "16x32", "architecture": "batchtopk", "batchtopk_k": 3.0, "max_steps": 0}
        | {"threads": 1, "progress": False, "eval_samples": 512}
    )
    output = run(config)
    assert output.model.topk_threshold.item() > 0
    assert output.result["history"][0]["l0"] < 3 * 2  # about k at inference, not every latent
    assert output.result["init_samples"] >= config.train.batch_size  # the batch is counted
