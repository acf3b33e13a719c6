import dataclasses
import math

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data import ToyConfig
from saeinit.inits import InitConfig
from saeinit.models import SAEConfig
from saeinit.training.config import TrainConfig
from saeinit.training.run import run
from saeinit.training.settings import RunConfig


def test_easy_scenario_reaches_its_target_and_records_crossings(easy_run):
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


def test_budget_stop_and_unreached_thresholds(easy_run):
    result = easy_run(max_steps=30, eval_every=7, log_every=14)
    assert result["stopped"] == "budget"
    assert result["steps"] == 30 and result["samples"] == 30 * 256
    assert result["thresholds"] == {"0.95": None, "0.98": None, "0.99": None}
    assert [row["step"] for row in result["history"]] == [0, 14, 28, 30]
    assert {"mmcs", "loss", "mse", "l0", "dead", "fvu", "seconds", "samples"} <= set(
        result["history"][-1]
    )
    assert "mcc" not in result["history"][-1]  # the cubic matching only with --mcc


def test_mcc_is_recorded_in_every_history_row_when_asked(easy_run):
    result = easy_run(max_steps=4, eval_every=2, log_every=2, mcc=True)
    assert [row["step"] for row in result["history"]] == [0, 2, 4]
    assert all(0 < row["mcc"] <= 1 for row in result["history"])


def test_runs_are_reproducible(easy_run):
    first, second = easy_run(max_steps=50), easy_run(max_steps=50)
    assert first["mmcs_final"] == second["mmcs_final"]
    assert first["history"][-1]["loss"] == second["history"][-1]["loss"]


@pytest.fixture
def fixed_run(easy_toy):
    def run_fixed(**train_kwargs) -> dict:
        """A run on a fixed dataset of 1000 samples of the easy scenario, in batches of 100."""
        settings = dict(batch_size=100, threads=1, progress=False) | train_kwargs
        config = RunConfig(
            toy=dataclasses.replace(easy_toy, dataset_size=1000),
            sae=SAEConfig(dict_size=64, l1=1.0),
            init=InitConfig(init="orthogonal"),
            train=TrainConfig(**settings),
        )
        return run(config).result

    return run_fixed


def test_a_step_on_a_fixed_dataset_is_one_batch_and_epochs_are_reported_beside(fixed_run):
    result = fixed_run(max_steps=25, eval_every=5, log_every=10)
    assert (result["steps"], result["samples"], result["epochs"]) == (25, 2500, 2.5)
    assert result["step_unit"] == "batch" and result["stopped"] == "budget"
    rows = [(row["step"], row["samples"], row["epochs"]) for row in result["history"]]
    assert rows == [(0, 0, 0.0), (10, 1000, 1.0), (20, 2000, 2.0), (25, 2500, 2.5)]
    assert result["final"]["epochs"] == 2.5


def test_a_fixed_dataset_keeps_each_epochs_short_last_batch(fixed_run):
    # 1000 samples in batches of 256: 256, 256, 256 and the 232 left, then the next epoch
    four = fixed_run(batch_size=256, max_steps=4, eval_every=1, log_every=1)
    assert [row["samples"] for row in four["history"]] == [0, 256, 512, 768, 1000]
    assert four["epochs"] == 1.0
    five = fixed_run(batch_size=256, max_steps=5)
    assert (five["samples"], five["epochs"]) == (1256, 1.256)


def test_crossings_on_a_fixed_dataset_are_checked_every_eval_every_batches(fixed_run):
    result = fixed_run(lr=3e-3, max_steps=3000, eval_every=7, target_mmcs=0.95, log_every=50)
    assert result["stopped"] == "target" and result["steps"] < 3000
    hit = result["thresholds"]["0.95"]
    assert hit["step"] == result["steps"] and hit["step"] % 7 == 0
    assert hit["samples"] == hit["step"] * 100 and hit["epochs"] == hit["samples"] / 1000
    assert result["history"][-1]["step"] == hit["step"]
    # rows at the evaluation points that are multiples of --log-every: lcm(7, 50) = 350
    assert [row["step"] for row in result["history"][1:-1]] == list(range(350, hit["step"], 350))


def test_toy_streams_have_no_epochs(easy_run):
    result = easy_run(max_steps=20, log_every=10)
    assert result["epochs"] is None and result["step_unit"] == "batch"
    assert [row["epochs"] for row in result["history"]] == [None, None, None]
    assert result["samples"] == 20 * 256


def test_max_steps_0_evaluates_the_start_and_trains_nothing(easy_run, fixed_run):
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


def test_live_mmcs_is_in_every_history_row_and_the_result(easy_run):
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


def test_live_crossings_are_recorded_at_every_mmcs_check_and_do_not_stop_training(
    easy_run, monkeypatch
):
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
        run_module, "train", lambda *args: seen.append(args[6]) or real_train(*args)
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


@pytest.mark.parametrize(("target", "steps", "stopped"), [(0.99, 0, "target"), (1.0, 20, "budget")])
def test_a_target_of_one_trains_the_whole_budget_even_from_the_features(
    easy_toy, target, steps, stopped
):
    config = RunConfig(
        toy=easy_toy,
        sae=SAEConfig(l1=1.0),
        init=InitConfig(init="oracle"),
        train=TrainConfig(max_steps=20, target_mmcs=target, threads=1, progress=False),
    )
    result = run(config).result
    assert result["mmcs_initial"] >= 1.0  # the features themselves, rounded up to 1
    assert (result["steps"], result["stopped"]) == (steps, stopped)
