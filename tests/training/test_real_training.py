import pytest
import torch

from saeinit import inits, metrics
from saeinit.config import ConfigError
from saeinit.data import ToyConfig
from saeinit.models import SAEConfig
from saeinit.models.preprocess import geometric_median, norm_scaling_factor
from saeinit.training.config import TrainConfig
from saeinit.training.run import run
from saeinit.training.settings import RunConfig, config_from_settings

FAST = dict(threads=1, progress=False, eval_samples=256, batch_size=64)


def toy_run(sae: SAEConfig, **train) -> dict:
    config = RunConfig(
        toy=ToyConfig(dim=8, features=16), sae=sae, train=TrainConfig(**(FAST | train))
    )
    return run(config)


def test_target_fvu_crossing_is_recorded_and_training_goes_on():
    out = toy_run(SAEConfig(l1=0.01), max_steps=60, eval_every=5, target_fvu=0.5, lr=0.01)
    result = out.result
    hit = result["fvu_thresholds"]["0.5"]
    assert hit is not None and 0 < hit["step"] < 60 and hit["step"] % 5 == 0
    assert result["steps"] == 60
    assert hit["samples"] == hit["step"] * 64
    start, final = result["history"][0]["fvu"], result["final"]["fvu"]
    assert start > 0.5 >= final  # crossed during training, not at the start
    assert toy_run(SAEConfig(), max_steps=2).result["fvu_thresholds"] == {}


def test_b_dec_and_normalisation_on_toy_data():
    out = toy_run(
        SAEConfig(b_dec="mean", normalize_activations="expected_average_only_in"), max_steps=3
    )
    assert out.model.b_dec is not None and out.scaling_factor > 0
    assert out.result["norm_scaling_factor"] == out.scaling_factor


def test_geometric_median_and_scaling_factor():
    points = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [100.0, 100.0]])
    median = geometric_median(points)
    assert median.norm() < 1.0  # the outlier barely moves it, unlike the mean
    assert points.mean(0).norm() > 30
    x = torch.randn(500, 16) * 7
    assert norm_scaling_factor(x) * x.norm(dim=1).mean() == pytest.approx(4.0)
    with pytest.raises(ConfigError):
        SAEConfig(b_dec="median")
    with pytest.raises(ConfigError):
        SAEConfig(normalize_activations="layer_norm")


def test_seed_mmcs_is_symmetric_and_one_for_permuted_copies():
    a = torch.randn(20, 8)
    assert metrics.seed_mmcs(a, a[torch.randperm(20)]) == pytest.approx(1.0)
    b = torch.randn(30, 8)
    assert metrics.seed_mmcs(a, b) == pytest.approx(metrics.seed_mmcs(b, a))
    assert metrics.seed_mmcs(a, b) < 1.0


METHODS = [spec.name for spec in inits.available() if not spec.needs_ground_truth]
"""Every init but those built from the ground truth (oracle), which activations do not have."""


@pytest.mark.parametrize("init", METHODS)
def test_every_registered_init_trains_on_minilm_activations(init, minilm_acts):
    settings = {"activations": str(minilm_acts), "init": init, "dict_size": 16, "max_steps": 2}
    settings |= {"lof_neighbors": 10, "b_dec": "mean", "batch_size": 16, "eval_samples": 16}
    result = run(config_from_settings(settings | {"threads": 1, "progress": False})).result
    assert result["steps"] == 2 and result["samples"] == 2 * 16
    assert result["config"]["init"]["init"] == init and result["mmcs_initial"] is None
    assert result["data_info"]["hook_name"] == "blocks.1.hook_resid_post"
    first, final = result["history"][0], result["final"]
    assert 0.0 < first["fvu"] < 10.0 and 0.0 < final["fvu"] < 10.0  # finite, of the data's scale
    assert 0 <= final["dead"] <= 16 and final["l0"] > 0


@pytest.mark.parametrize("init", sorted(set(inits.names()) - set(METHODS)))
def test_an_init_built_from_the_ground_truth_is_refused_on_activations(init, minilm_acts):
    settings = {"activations": str(minilm_acts), "init": init, "dict_size": 16, "max_steps": 2}
    settings |= {"batch_size": 16, "eval_samples": 16, "threads": 1, "progress": False}
    with pytest.raises(ConfigError) as err:
        run(config_from_settings(settings))
    assert err.value.option == "init" and "ground-truth" in err.value.message


def test_the_ceiling_counts_the_features_fired_in_the_samples_seen():
    from saeinit.data import ToyData

    data = ToyConfig(dim=8, features=64, decay=0.8)
    config = RunConfig(toy=data, train=TrainConfig(**(FAST | {"max_steps": 10})))
    result = run(config).result  # orthogonal init draws no sample: training is all it saw
    fired = torch.zeros(64, dtype=torch.long)
    stream = ToyData(data).stream(64, 0, fired=fired)
    for _ in range(10):
        next(stream)
    expected = {"1": int((fired >= 1).sum()), "10": int((fired >= 10).sum())}
    assert result["features_fired"] == expected
    assert 0 < expected["10"] < expected["1"] < 64  # decay 0.8 leaves the rarest unseen
