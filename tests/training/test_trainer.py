import dataclasses
import math
import re
import time

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data import ToyConfig
from saeinit.inits import InitConfig
from saeinit.models import SAEConfig
from saeinit.training.config import TrainConfig
from saeinit.training.divergence import TrainingDiverged
from saeinit.training.run import run
from saeinit.training.settings import RunConfig
from saeinit.training.trainer import train

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
    assert {"mmcs", "loss", "mse", "l0", "dead", "fvu", "seconds", "samples"} <= set(
        result["history"][-1]
    )
    assert "mcc" not in result["history"][-1]  # the cubic matching only with --mcc


def test_mcc_is_recorded_in_every_history_row_when_asked():
    result = easy_run(max_steps=4, eval_every=2, log_every=2, mcc=True)
    assert [row["step"] for row in result["history"]] == [0, 2, 4]
    assert all(0 < row["mcc"] <= 1 for row in result["history"])


def test_runs_are_reproducible():
    first, second = easy_run(max_steps=50), easy_run(max_steps=50)
    assert first["mmcs_final"] == second["mmcs_final"]
    assert first["history"][-1]["loss"] == second["history"][-1]["loss"]


def fixed_run(**train_kwargs) -> dict:
    """A run on a fixed dataset of 1000 samples of the easy scenario, in batches of 100."""
    settings = dict(batch_size=100, threads=1, progress=False) | train_kwargs
    config = RunConfig(
        toy=dataclasses.replace(EASY, dataset_size=1000),
        sae=SAEConfig(dict_size=64, l1=1.0),
        init=InitConfig(init="orthogonal"),
        train=TrainConfig(**settings),
    )
    return run(config).result


def test_a_step_on_a_fixed_dataset_is_one_batch_and_epochs_are_reported_beside():
    result = fixed_run(max_steps=25, eval_every=5, log_every=10)
    assert (result["steps"], result["samples"], result["epochs"]) == (25, 2500, 2.5)
    assert result["step_unit"] == "batch" and result["stopped"] == "budget"
    rows = [(row["step"], row["samples"], row["epochs"]) for row in result["history"]]
    assert rows == [(0, 0, 0.0), (10, 1000, 1.0), (20, 2000, 2.0), (25, 2500, 2.5)]
    assert result["final"]["epochs"] == 2.5


def test_a_fixed_dataset_keeps_each_epochs_short_last_batch():
    # 1000 samples in batches of 256: 256, 256, 256 and the 232 left, then the next epoch
    four = fixed_run(batch_size=256, max_steps=4, eval_every=1, log_every=1)
    assert [row["samples"] for row in four["history"]] == [0, 256, 512, 768, 1000]
    assert four["epochs"] == 1.0
    five = fixed_run(batch_size=256, max_steps=5)
    assert (five["samples"], five["epochs"]) == (1256, 1.256)


def test_crossings_on_a_fixed_dataset_are_checked_every_eval_every_batches():
    result = fixed_run(lr=3e-3, max_steps=3000, eval_every=7, target_mmcs=0.95, log_every=50)
    assert result["stopped"] == "target" and result["steps"] < 3000
    hit = result["thresholds"]["0.95"]
    assert hit["step"] == result["steps"] and hit["step"] % 7 == 0
    assert hit["samples"] == hit["step"] * 100 and hit["epochs"] == hit["samples"] / 1000
    assert result["history"][-1]["step"] == hit["step"]
    # rows at the evaluation points that are multiples of --log-every: lcm(7, 50) = 350
    assert [row["step"] for row in result["history"][1:-1]] == list(range(350, hit["step"], 350))


def test_toy_streams_have_no_epochs():
    result = easy_run(max_steps=20, log_every=10)
    assert result["epochs"] is None and result["step_unit"] == "batch"
    assert [row["epochs"] for row in result["history"]] == [None, None, None]
    assert result["samples"] == 20 * 256


def test_max_steps_0_evaluates_the_start_and_trains_nothing():
    start = easy_run(max_steps=0)
    assert (start["steps"], start["samples"], start["stopped"]) == (0, 0, "budget")
    assert len(start["history"]) == 1 and start["final"] == start["history"][0]
    assert start["mmcs_final"] == start["mmcs_initial"] == easy_run(max_steps=1)["mmcs_initial"]
    assert start["train_seconds"] == 0.0
    assert fixed_run(max_steps=0)["epochs"] == 0.0


def test_max_steps_counts_from_0_and_refuses_negatives():
    assert TrainConfig(max_steps=0).max_steps == 0
    for bad in (-1, 1.5, True):
        with pytest.raises(ConfigError, match="max-steps"):
            TrainConfig(max_steps=bad)


def test_a_log_without_a_terminal_gets_a_progress_line_every_few_seconds(capsys, monkeypatch):
    from saeinit.training import progress

    # stderr captured by pytest is no terminal; 500 steps with MMCS checked at every one
    start = time.perf_counter()
    easy_run(max_steps=500, eval_every=1, progress=True, target_mmcs=0.999)
    seconds = time.perf_counter() - start
    err = capsys.readouterr().err
    assert "\r" not in err
    assert len(err.splitlines()) <= seconds / progress.LOG_INTERVAL + 1
    # with a short interval the lines come, each saying where training stands
    monkeypatch.setattr(progress, "LOG_INTERVAL", 0.02)
    start = time.perf_counter()
    easy_run(max_steps=300, eval_every=1, progress=True, target_mmcs=0.999)
    seconds = time.perf_counter() - start
    lines = capsys.readouterr().err.splitlines()
    assert 1 <= len(lines) <= seconds / 0.02 + 1
    assert all(
        re.fullmatch(r"step \d+/300 \(\d+%\)  mmcs [\d.]+  loss \S+  \d+ s", line) for line in lines
    )
    # --no-progress: nothing
    easy_run(max_steps=300, eval_every=1, progress=False, target_mmcs=0.999)
    assert capsys.readouterr().err == ""


def test_a_terminal_gets_the_progress_bar():
    import io

    from saeinit.training.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = Progress(100, stream=terminal)
    assert bar.bar is not None
    bar.update(50, mmcs="0.5000")
    bar.close()
    assert "50/100" in terminal.getvalue() and "mmcs=0.5000" in terminal.getvalue()
    log = io.StringIO()
    lines = Progress(100, stream=log, interval=0.0)
    lines.update(50, mmcs="0.5000")
    assert lines.bar is None and log.getvalue().startswith("step 50/100 (50%)  mmcs 0.5000  ")


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
    from saeinit.training.divergence import DIVERGED_ERROR, DivergenceCheck, error_ratio

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
    from saeinit.training.divergence import DIVERGED_ERROR

    for lr in (1e-3, 3e-2):
        result = easy_run(lr=lr, max_steps=300, log_every=10, target_mmcs=0.999)
        assert max(row["fvu"] for row in result["history"]) < DIVERGED_ERROR / 10


def test_live_mmcs_is_in_every_history_row_and_the_result():
    result = easy_run(max_steps=30, eval_every=7, log_every=14)
    lives = [row["live_mmcs"] for row in result["history"]]
    assert all(-1.0 <= live <= 1.0 for live in lives) and len(lives) == 4
    assert (result["live_mmcs_initial"], result["live_mmcs_final"]) == (lives[0], lives[-1])
    assert result["final"]["live_mmcs"] == lives[-1]
    assert result["live_thresholds"] == {"0.95": None, "0.98": None, "0.99": None}


def hand_sae(b_enc0: float = 0.0):
    """A 2-D ReLU SAE with atoms e0, e1 and their diagonal, whose latent 1 never fires on e1
    (it reads -e1) and whose latent 0 reads e0 with bias b_enc0."""
    from saeinit.models import ReLUSAE

    model = ReLUSAE(2, 3)
    with torch.no_grad():
        model.W_dec.copy_(torch.nn.functional.normalize(torch.tensor([[1.0, 0], [0, 1], [1, 1]])))
        model.W_enc.copy_(torch.tensor([[1.0, 0.0, 1.0], [0.0, -1.0, 1.0]]))
        model.b_enc.copy_(torch.tensor([b_enc0, 0.0, 0.0]))
    return model


def test_the_evaluator_presents_each_feature_alone_as_c_times_it():
    from saeinit.training.trainer import Evaluator

    features, eval_x, c45 = torch.eye(2), torch.randn(16, 2), math.sqrt(0.5)
    # On 0.5 e0 latents 0 and 2 fire (best cosine 1); on 0.5 e1 only the diagonal does.
    mmcs, live = Evaluator(hand_sae(), features, eval_x, 0.5).recovery()
    assert mmcs == pytest.approx(1.0) and live == pytest.approx((1 + c45) / 2)
    # With b_enc0 = -0.3, latent 0 fires on 0.5 e0 but not on 0.25 e0: c matters.
    model = hand_sae(b_enc0=-0.3)
    assert Evaluator(model, features, eval_x, 0.5).recovery()[1] == pytest.approx((1 + c45) / 2)
    assert Evaluator(model, features, eval_x, 0.25).recovery()[1] == pytest.approx(c45)
    row = Evaluator(model, features, eval_x, 0.25).row(0, 0, 0.0)
    assert row["mmcs"] == pytest.approx(1.0) and row["live_mmcs"] == pytest.approx(c45)
    assert Evaluator(model, None, eval_x).recovery() == (None, None)


def test_live_crossings_are_recorded_at_every_mmcs_check_and_do_not_stop_training(monkeypatch):
    """Live MMCS scripted to reach 0.95 at the 3rd check and 0.98 at the 5th, then to fall:
    each crossing is the check where it first happened, between history rows, and the run
    goes on to its budget because MMCS (0.5) decides the stop."""
    from saeinit.training import trainer

    checks = iter([0.5, 0.9, 0.96, 0.97, 0.985, 0.97, 0.97, 0.97])
    monkeypatch.setattr(trainer.Evaluator, "recovery", lambda self: (0.5, next(checks)))
    result = easy_run(max_steps=30, eval_every=4, log_every=100)
    assert result["stopped"] == "budget" and result["steps"] == 30
    assert result["thresholds"] == {"0.95": None, "0.98": None, "0.99": None}
    live = result["live_thresholds"]
    assert (live["0.95"]["step"], live["0.95"]["samples"]) == (12, 12 * 256)
    assert live["0.98"]["step"] == 20 and live["0.99"] is None
    assert 0 < live["0.95"]["seconds"] <= live["0.98"]["seconds"] <= result["train_seconds"]
    assert [row["step"] for row in result["history"]] == [0, 30]


def test_the_live_coefficient_is_the_toy_mean_coefficient_in_the_units_the_model_sees(
    monkeypatch,
):
    import saeinit.training.run as run_module

    seen = []
    real_train = run_module.train
    monkeypatch.setattr(
        run_module, "train", lambda *args: seen.append(args[-1]) or real_train(*args)
    )
    toy = ToyConfig(dim=16, features=32, coef_min=0.2, coef_max=1.0)
    quick = TrainConfig(max_steps=0, threads=1, progress=False)
    run(RunConfig(toy=toy, train=quick))
    assert seen[-1] == pytest.approx(0.6)
    sae = SAEConfig(normalize_activations="expected_average_only_in")
    result = run(RunConfig(toy=toy, sae=sae, train=quick)).result
    assert seen[-1] == pytest.approx(0.6 * result["norm_scaling_factor"])


def test_without_ground_truth_there_is_no_live_mmcs(tmp_path):
    import numpy as np

    path = tmp_path / "x.npz"
    np.savez(path, x=np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32))
    config = RunConfig(
        data_file=str(path),
        sae=SAEConfig(dict_size=16),
        train=TrainConfig(max_steps=5, eval_every=1, threads=1, progress=False, eval_samples=32),
    )
    result = run(config).result
    assert (result["live_mmcs_initial"], result["live_mmcs_final"]) == (None, None)
    assert result["live_thresholds"] == {}
    assert all("live_mmcs" not in row for row in result["history"])
