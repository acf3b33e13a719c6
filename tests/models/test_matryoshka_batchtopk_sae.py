"""The Matryoshka BatchTopK architecture: its loss on a hand-worked example and against
SAELens' training SAE, its SAELens form (a JumpReLU SAE with one threshold) both ways, bad
options refused, and a short training run."""

import json

import pytest
import torch
from safetensors.torch import load_file

from saeinit.config import ConfigError
from saeinit.models import SAEConfig, build_sae
from saeinit.models.io import CONFIG_FILE, WEIGHTS_FILE, load_sae, save_sae
from saeinit.models.jumprelu_sae import JumpReLUSAE
from saeinit.models.matryoshka_batchtopk_sae import MatryoshkaBatchTopKSAE
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


def data(n=20, d=6, seed=1):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def test_the_loss_adds_each_prefix_reconstruction_worked_by_hand():
    # d_in 2, d_sae 4, widths 1,3 (then 4, the whole dictionary), no b_dec, tied encoder:
    # atoms a0 (1, 0), a1 (0, 1), a2 (0.8, -0.6), a3 (0.6, 0.8).
    model = MatryoshkaBatchTopKSAE(2, 4, k=2, widths=(1, 3))
    atoms = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.8, -0.6], [0.6, 0.8]])
    with torch.no_grad():
        model.W_dec.copy_(atoms)
        model.W_enc.copy_(atoms.T)
        model.b_enc.zero_()
    x = torch.tensor([[3.0, 1.0], [1.0, 2.0]])
    # pre-activations: x1 (3, 1, 1.8, 2.6), x2 (1, 2, -0.4, 2.2). BatchTopK keeps k x B = 4
    # of the batch: 3, 2.6, 2.2 and 2 (1.8 is the fifth), so c1 = (3, 0, 0, 2.6) and
    # c2 = (0, 2, 0, 2.2).
    out = model(x)
    assert torch.allclose(out.acts, torch.tensor([[3.0, 0, 0, 2.6], [0, 2.0, 0, 2.2]]))
    # width 1: x_hat1 = (3, 0), x_hat2 = (0, 0); squared errors 0 + 1 and 1 + 4: MSE 6/4 = 1.5.
    # width 3: x_hat1 = (3, 0), x_hat2 = 2 a1 = (0, 2); errors 0 + 1 and 1 + 0: MSE 2/4 = 0.5.
    # width 4: x_hat1 = (3, 0) + 2.6 a3 = (4.56, 2.08), errors 1.56^2 + 1.08^2 = 3.6;
    #          x_hat2 = (0, 2) + 2.2 a3 = (1.32, 3.76), errors 0.32^2 + 1.76^2 = 3.2: MSE 1.7.
    assert out.mse.item() == pytest.approx(1.7, rel=1e-6)  # the whole dictionary's
    assert out.loss.item() == pytest.approx(1.5 + 0.5 + 1.7, rel=1e-6)
    assert out.sparsity is None
    out.loss.backward()
    assert model.W_enc.grad.abs().sum() > 0


@pytest.mark.parametrize("b_dec", [False, True])
def test_the_loss_is_saelens_matryoshka_training_loss_over_d_in(randomize, b_dec):
    sae_lens = pytest.importorskip("sae_lens")
    from sae_lens.saes.sae import TrainStepInput

    ours = randomize(MatryoshkaBatchTopKSAE(6, 12, k=3, widths=(2, 5), b_dec=b_dec))
    # SAELens' default rescale_acts_by_decoder_norm gives the same values on unit-norm atoms,
    # but sends gradients through the atoms' norms, which our trainer holds at 1 instead
    config = sae_lens.MatryoshkaBatchTopKTrainingSAEConfig(
        d_in=6, d_sae=12, k=3, matryoshka_widths=[2, 5, 12], rescale_acts_by_decoder_norm=False
    )
    theirs = sae_lens.MatryoshkaBatchTopKTrainingSAE(config)
    with torch.no_grad():
        for name in ("W_enc", "b_enc", "W_dec"):
            getattr(theirs, name).copy_(getattr(ours, name))
        theirs.b_dec.copy_(ours.b_dec if b_dec else torch.zeros(6))
    x = data(n=16)
    out = ours(x)  # SAELens sums each level's squared errors over dimensions: d_in x ours
    step = TrainStepInput(x, {}, None, n_training_steps=0, is_logging_step=False)
    expected = theirs.training_forward_pass(step)
    assert torch.equal(out.acts, expected.feature_acts)
    assert {"inner_mse_loss_2", "inner_mse_loss_5"} <= set(expected.losses)  # width 12 is mse_loss
    assert torch.allclose(out.mse * 6, expected.losses["mse_loss"], rtol=1e-5)
    assert torch.allclose(out.loss * 6, expected.loss, rtol=1e-5)
    assert ours.topk_threshold.item() == pytest.approx(theirs.topk_threshold.item())
    (out.loss * 6).backward()
    expected.loss.backward()
    for name in ("W_enc", "b_enc", "W_dec", *(("b_dec",) if b_dec else ())):
        mine, its = getattr(ours, name).grad, getattr(theirs, name).grad
        assert torch.allclose(mine, its, rtol=1e-4, atol=1e-6), name


@pytest.mark.parametrize("b_dec,scale", [(False, None), (True, 2.0)])
def test_saved_matryoshka_loads_in_saelens_as_jumprelu_with_equal_encodings(
    tmp_path, randomize, saelens_reads_it_as_jumprelu, b_dec, scale
):
    model = randomize(MatryoshkaBatchTopKSAE(6, 12, k=3, widths=(3, 6), b_dec=b_dec))
    model.topk_threshold.fill_(0.7)
    settings = {"sae": {"architecture": "matryoshka", "b_dec": "mean" if b_dec else "none"}}
    save_sae(tmp_path, model, settings, scaling_factor=scale)
    assert torch.equal(load_file(tmp_path / WEIGHTS_FILE)["threshold"], torch.full((12,), 0.7))
    cfg = json.loads((tmp_path / CONFIG_FILE).read_text())
    assert cfg["architecture"] == "jumprelu" and cfg["matryoshka_widths"] == [3, 6, 12]
    x = data(n=50) * 2
    theirs = saelens_reads_it_as_jumprelu(tmp_path, model, scale, x)
    back = load_sae(tmp_path)  # our record of the run says matryoshka: it comes back as one
    assert isinstance(back, MatryoshkaBatchTopKSAE) and back.widths == (3, 6, 12)
    assert (back.k, back.topk_threshold.item()) == (3, pytest.approx(0.7))
    with torch.no_grad():
        assert torch.allclose(back(x).x_hat, theirs(x), atol=1e-5)
    (tmp_path / CONFIG_FILE).write_text(json.dumps(cfg | {"saeinit": None}))
    assert isinstance(load_sae(tmp_path), JumpReLUSAE)  # SAELens' JumpReLU, as batchtopk


def test_saelens_matryoshka_saved_for_inference_loads_here_as_jumprelu(tmp_path):
    sae_lens = pytest.importorskip("sae_lens")
    config = sae_lens.MatryoshkaBatchTopKTrainingSAEConfig(
        d_in=6, d_sae=12, k=3, matryoshka_widths=[4, 12]
    )
    theirs = sae_lens.MatryoshkaBatchTopKTrainingSAE(config)
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for param in theirs.parameters():
            param.copy_(torch.randn(param.shape, generator=g))
        theirs.topk_threshold.fill_(0.6)
    theirs.save_inference_model(tmp_path)
    inference = sae_lens.SAE.load_from_disk(tmp_path)
    ours = load_sae(tmp_path)
    assert isinstance(ours, JumpReLUSAE)
    x = data(n=30)
    with torch.no_grad():
        assert torch.allclose(ours.encode(x), inference.encode(x), atol=1e-5)


@pytest.mark.parametrize("widths", [[4, 2], [0, 12], [4, 13], "4,12", [4.5, 12], [True]])
def test_a_cfg_json_with_bad_matryoshka_widths_is_refused(tmp_path, randomize, widths):
    save_sae(
        tmp_path,
        randomize(MatryoshkaBatchTopKSAE(6, 12, k=3)),
        {"sae": {"architecture": "matryoshka"}},
    )
    cfg = json.loads((tmp_path / CONFIG_FILE).read_text())
    (tmp_path / CONFIG_FILE).write_text(json.dumps(cfg | {"matryoshka_widths": widths}))
    with pytest.raises(ConfigError) as err:
        load_sae(tmp_path, option="start-from")
    assert err.value.option == "start-from" and "matryoshka_widths" in err.value.message


@pytest.mark.parametrize(
    "widths,d_sae,levels",
    [(None, 32, (4, 8, 16, 32)), (None, 8, (1, 2, 4, 8)), (None, 3, (1, 3)), (None, 1, (1,))]
    + [("2 5", 8, (2, 5, 8)), ("2,8", 8, (2, 8)), ("8", 8, (8,))],
)
def test_the_widths_end_with_the_whole_dictionary(widths, d_sae, levels):
    config = SAEConfig(architecture="matryoshka", matryoshka_widths=widths, batchtopk_k=1)
    assert build_sae(config, 4, d_sae).widths == levels


@pytest.mark.parametrize(
    "kwargs,option",
    [
        ({"matryoshka_widths": ""}, "matryoshka-widths"),
        ({"matryoshka_widths": "4,4"}, "matryoshka-widths"),
        ({"matryoshka_widths": "8,4"}, "matryoshka-widths"),
        ({"matryoshka_widths": "0,4"}, "matryoshka-widths"),
        ({"matryoshka_widths": "4,x"}, "matryoshka-widths"),
        ({"matryoshka_widths": "4,16", "dict_size": 8, "batchtopk_k": 2}, "matryoshka-widths"),
        ({"batchtopk_k": 9, "dict_size": 8}, "batchtopk-k"),
    ],
)
def test_bad_options_are_refused_in_one_line_naming_the_option(kwargs, option):
    with pytest.raises(ConfigError) as err:
        SAEConfig(architecture="matryoshka", **kwargs)
    assert err.value.option == option and "\n" not in str(err.value)


def test_widths_wider_than_the_dictionary_the_data_implies_are_refused(fast_train):
    settings = dict(scenario="16x32", architecture="matryoshka", matryoshka_widths="8,64")
    with pytest.raises(ConfigError) as err:
        run(config_from_settings(settings | fast_train | {"max_steps": 1}))
    assert err.value.option == "matryoshka-widths" and "ground-truth" in err.value.message


def test_a_short_toy_run_lowers_the_loss_and_resumes_as_itself(fast_train, tmp_path):
    settings = dict(scenario="16x32", architecture="matryoshka", batchtopk_k=4)
    settings |= dict(matryoshka_widths="4,16", target_mmcs=1.0)
    settings |= fast_train | {"max_steps": 60, "eval_every": 30, "log_every": 30}
    out = run(config_from_settings(settings | {"save_under": str(tmp_path)}))
    result, model = out.result, out.model
    assert isinstance(model, MatryoshkaBatchTopKSAE) and model.widths == (4, 16, 32)
    assert result["steps"] == 60 and model.topk_threshold.item() > 0
    history = result["history"]
    assert history[-1]["loss"] < history[0]["loss"] and history[-1]["mse"] < history[0]["mse"]
    assert all(row["loss"] > row["mse"] for row in history)  # the inner levels add to the MSE
    again = settings | {"start_from": result["saved_to"], "max_steps": 0}
    resumed = run(config_from_settings(again)).model
    assert isinstance(resumed, MatryoshkaBatchTopKSAE) and resumed.widths == (4, 16, 32)
