import math

import pytest
import torch

from saeinit.data import ToyConfig
from saeinit.inits import InitConfig
from saeinit.models import SAEConfig
from saeinit.training.config import TrainConfig
from saeinit.training.run import run
from saeinit.training.settings import RunConfig
from saeinit.training.trainer import TrainingDiverged, train

EASY = ToyConfig(dim=16, features=32, mean_active=2.0)


def easy_run(**train_kwargs) -> dict:
    settings = dict(lr=3e-3, max_steps=2000, target_mmcs=0.95, threads=1, progress=False)
    config = RunConfig(
        toy=EASY,
        sae=SAEConfig(dict_size=64, l1=1.0),
        init=InitConfig(init="orthogonal"),
        train=TrainConfig(**(settings | train_kwargs)),
    )
    return run(config).result


def test_easy_scenario_reaches_its_target_and_records_crossings():
    result = easy_run()
    assert result["stopped"] == "target"
    assert result["mmcs_initial"] < 0.7
    assert result["mmcs_final"] >= 0.95
    hit = result["thresholds"]["0.95"]
    assert hit["step"] == result["steps"] < 2000
    assert hit["samples"] == hit["step"] * 256
    assert 0 < hit["seconds"] <= result["train_seconds"]
    steps = [row["step"] for row in result["history"]]
    assert steps[0] == 0 and steps[-1] == result["steps"] and steps == sorted(steps)
    assert result["history"][-1]["mmcs"] == result["mmcs_final"]


def test_budget_stop_and_unreached_thresholds():
    result = easy_run(max_steps=30, eval_every=7, log_every=14)
    assert result["stopped"] == "budget"
    assert result["steps"] == 30 and result["samples"] == 30 * 256
    assert result["thresholds"] == {"0.95": None, "0.98": None, "0.99": None}
    assert [row["step"] for row in result["history"]] == [0, 14, 28, 30]
    assert {"mmcs", "mcc", "loss", "mse", "l0", "dead", "fvu", "seconds", "samples"} <= set(
        result["history"][-1]
    )


def test_runs_are_reproducible():
    first, second = easy_run(max_steps=50), easy_run(max_steps=50)
    assert first["mmcs_final"] == second["mmcs_final"]
    assert first["history"][-1]["loss"] == second["history"][-1]["loss"]


def test_fixed_dataset_mode_counts_an_epoch_as_a_step():
    config = RunConfig(
        toy=ToyConfig(dim=8, features=16, dataset_size=1000),
        train=TrainConfig(max_steps=3, batch_size=256, threads=1, progress=False, eval_every=1),
    )
    result = run(config).result
    assert result["steps"] == 3 and result["samples"] == 3000


def test_nan_loss_stops_with_a_clear_error():
    config = RunConfig(toy=EASY, train=TrainConfig(max_steps=20, progress=False, threads=1))
    model = run(config).model
    with torch.no_grad():
        model.W_enc[0, 0] = float("nan")
    batches = iter(lambda: torch.randn(256, 16), None)
    with pytest.raises(TrainingDiverged, match="loss became nan"):
        train(model, batches, TrainConfig(max_steps=5, progress=False))


def test_resampling_reseeds_dead_latents_from_residuals():
    from saeinit.models import ReLUSAE
    from saeinit.training.resample import DeadLatentTracker

    toy_features = torch.nn.functional.normalize(torch.randn(8, 6), dim=1)
    model = ReLUSAE(6, 8, 0.1)
    model.reset_encoder(torch.Generator().manual_seed(0))
    model.set_decoder(toy_features.clone())
    with torch.no_grad():
        model.b_enc[:3] = -100.0  # three latents that can never fire
    batches = iter(lambda: torch.rand(64, 8) @ toy_features, None)
    config = TrainConfig(max_steps=4, resample_every=2, eval_every=2, progress=False)
    result = train(model, batches, config)
    assert result.resampled >= 3
    tracker = DeadLatentTracker(8, torch.device("cpu"))
    tracker.update(model.encode(torch.rand(512, 8) @ toy_features))
    assert len(tracker.dead()) < 3
    assert torch.allclose(model.W_dec.norm(dim=1), torch.ones(8), atol=1e-5)


def test_residual_pool_keeps_the_worst_reconstructed_samples_across_batches():
    from saeinit.training.resample import ResidualPool

    pool = ResidualPool(capacity=3)
    pool.update(torch.tensor([[1.0, 0.0], [5.0, 0.0], [0.1, 0.0]]))
    pool.update(torch.tensor([[0.0, 4.0], [0.0, 0.2]]))
    assert sorted(pool.residuals.norm(dim=1).tolist()) == [1.0, 4.0, 5.0]
    pool.reset()
    assert pool.residuals is None


def test_an_exploding_run_stops_with_training_diverged_saying_what_to_lower():
    """At --lr 1e3 the loss stays finite but the reconstruction error explodes (FVU in the
    thousands, most latents dead): the run stops at an evaluation point, not at its budget."""
    config = RunConfig(
        toy=ToyConfig(dim=16, features=32),
        train=TrainConfig(lr=1e3, max_steps=100, threads=1, progress=False),
    )
    with pytest.raises(TrainingDiverged) as err:
        run(config)
    message = str(err.value)
    assert "lower --lr (now 1000)" in message and "training batches" in message
    assert int(message.split("by step ")[1].split()[0]) < 100


def test_the_held_out_error_is_checked_at_every_history_row():
    from saeinit.training.trainer import DIVERGED_ERROR, DivergenceCheck, error_ratio

    eval_x = torch.ones(8, 4)  # squared norm 1 per entry
    check = DivergenceCheck({"mse": 0.5}, eval_x, lr=0.01)
    assert check.limit == DIVERGED_ERROR
    check.check_held_out(0.9 * DIVERGED_ERROR, step=10)
    with pytest.raises(TrainingDiverged, match="by step 20 .* on the held-out sample .* --lr"):
        check.check_held_out(1.1 * DIVERGED_ERROR, step=20)
    # an SAE that starts worse than outputting zeros is allowed DIVERGED_ERROR times its start
    assert DivergenceCheck({"mse": 3.0}, eval_x, lr=0.01).limit == 3 * DIVERGED_ERROR
    # the training batches since the last check, summed: one bad batch among good ones counts
    check.add(torch.ones(4, 4), torch.tensor(0.5))
    check.add(torch.ones(4, 4), torch.tensor(300.0))
    with pytest.raises(TrainingDiverged, match="training batches"):
        check.check_training(step=30)
    check.check_training(step=40)  # the sums start again
    assert error_ratio(0.0, 0.0) == 0.0 and error_ratio(1.0, 0.0) == math.inf


def test_a_diverging_run_exits_1_with_one_line(tiny_cli, capsys):
    from saeinit.cli import main

    assert main(["train", *tiny_cli, "--lr", "1e3", "--max-steps", "100"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("saeinit: training diverged: by step")


def test_ordinary_runs_stay_far_below_the_divergence_limit():
    """The ratio the check watches, on the held-out rows of a normal and a fast run."""
    from saeinit.training.trainer import DIVERGED_ERROR

    for lr in (1e-3, 3e-2):
        result = easy_run(lr=lr, max_steps=300, log_every=10, target_mmcs=0.999)
        assert max(row["fvu"] for row in result["history"]) < DIVERGED_ERROR / 10
