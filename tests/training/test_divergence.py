import math

import pytest
import torch

from saeinit.data import ToyConfig
from saeinit.training.config import TrainConfig
from saeinit.training.divergence import (
    DIVERGED_ERROR,
    DivergenceCheck,
    TrainingDiverged,
    error_ratio,
)
from saeinit.training.run import run
from saeinit.training.settings import RunConfig
from saeinit.training.trainer import train


def test_nan_loss_stops_with_a_clear_error(easy_toy):
    config = RunConfig(toy=easy_toy, train=TrainConfig(max_steps=20, progress=False, threads=1))
    model = run(config).model
    with torch.no_grad():
        model.W_enc[0, 0] = float("nan")
    batches = iter(lambda: torch.randn(256, 16), None)
    with pytest.raises(TrainingDiverged, match="loss became nan"):
        train(model, batches, TrainConfig(max_steps=5, progress=False))


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


def test_ordinary_runs_stay_far_below_the_divergence_limit(easy_run):
    """The ratio the check watches, on the held-out rows of a normal and a fast run."""

    for lr in (1e-3, 3e-2):
        result = easy_run(lr=lr, max_steps=300, log_every=10, target_mmcs=0.999)
        assert max(row["fvu"] for row in result["history"]) < DIVERGED_ERROR / 10
