"""Inits compute on the request's device. No GPU here: the checks run on "meta" tensors (shapes
without data), where an operation mixing in a tensor made on the CPU fails, and on the CPU."""

import pytest
import torch

import saeinit.inits.encoder as encoder_module
import saeinit.inits.pursuit as pursuit
import saeinit.training.run as run_module
from saeinit.inits import InitConfig, InitRequest, draw_sample
from saeinit.inits.dictlearn import optimal_directions
from saeinit.inits.kmeans import cluster_means, kmeans_plus_plus, nearest
from saeinit.inits.pursuit import matching_pursuit
from saeinit.training.settings import config_from_settings

META = torch.device("meta")


def test_the_sample_goes_to_the_request_device_after_the_finite_check():
    toy = torch.randn(64, 8)
    request = InitRequest(16, 8, torch.Generator(), lambda n: toy[:n], InitConfig(), None, "meta")
    sample = draw_sample(request, 40)
    assert sample.device == META and sample.shape == (40, 8)


@pytest.mark.parametrize("candidates", [0, 8], ids=["whole-search", "screened"])
def test_matching_pursuit_and_the_dictionary_update_stay_on_the_device(candidates, monkeypatch):
    monkeypatch.setattr(pursuit, "SEARCH_WHOLE", 0)
    x, atoms = torch.empty(600, 16, device=META), torch.empty(40, 16, device=META)
    codes = matching_pursuit(x, atoms, 3, candidates)
    assert all(part.device == META for part in codes)
    assert codes.support.shape == (600, 3) and codes.residual.shape == (600, 16)
    updated = optimal_directions(codes, x, atoms)
    assert updated.device == META and updated.shape == (40, 16)


def test_kmeans_steps_stay_on_the_device():
    x = torch.empty(500, 8, device=META)
    seeds = kmeans_plus_plus(x, 5, torch.Generator().manual_seed(0))
    labels = nearest(x, seeds)
    means = cluster_means(x, labels, seeds)
    assert {seeds.device, labels.device, means.device} == {META}
    assert labels.shape == (500,) and means.shape == (5, 8)


def test_a_run_asks_the_init_and_the_encoder_fit_for_its_training_device(monkeypatch):
    """`saeinit train --device D` builds its init request for D (here the CPU) with the data as
    the source draws it (minus b_dec), and the fitted encoder gets --omp-candidates."""
    seen = {}
    real_initialize, real_fit = run_module.initialize, encoder_module.fitted_encoder

    def recording_initialize(request):
        seen["device"], seen["sample"] = request.device, draw_sample(request, 8)
        return real_initialize(request)

    def recording_fit(atoms, sample, k, candidates):
        seen["candidates"] = candidates
        return real_fit(atoms, sample, k, candidates)

    monkeypatch.setattr(run_module, "initialize", recording_initialize)
    monkeypatch.setattr(encoder_module, "fitted_encoder", recording_fit)
    settings = dict(scenario="8x16", init="data", encoder_init="fitted", omp_k=2,
                    omp_candidates=4, b_dec="mean", device="cpu", max_steps=0, threads=1,
                    progress=False)  # fmt: skip
    config = config_from_settings(settings)
    run_module.run(config)
    assert seen["device"] == torch.device("cpu") and seen["sample"].device == seen["device"]
    assert seen["candidates"] == 4
