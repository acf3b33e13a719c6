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
