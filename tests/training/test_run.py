"""Settings checked against the dictionary size a run resolves (from the data, or from the SAE
it starts from), before any init or training."""

import pytest

import saeinit.training.run as run_module
from saeinit.config import ConfigError
from saeinit.models import TopKSAE
from saeinit.models.io import save_sae
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


@pytest.fixture
def no_init(monkeypatch):
    """Make any init fail loudly: a refusal must come before the init runs."""

    def fail(request):
        raise AssertionError("the init ran before the settings were checked")

    monkeypatch.setattr(run_module, "initialize", fail)


def test_topk_k_above_the_dictionary_size_the_data_implies_is_refused(fast_train, no_init):
    settings = dict(scenario="16x32", architecture="topk", k=40, max_steps=1) | fast_train
    with pytest.raises(ConfigError) as err:
        run(config_from_settings(settings))
    assert err.value.option == "k"
    assert "more than the 32 latents (one per ground-truth feature" in err.value.message


def test_topk_k_above_the_latents_of_the_sae_to_start_from_is_refused(
    tmp_path, randomize, fast_train
):
    save_sae(tmp_path, randomize(TopKSAE(16, 32, 3)), {"sae": {"b_dec": "none"}})
    settings = dict(scenario="16x32", architecture="topk", k=40, max_steps=1) | fast_train
    with pytest.raises(ConfigError) as err:
        run(config_from_settings(settings | {"start_from": str(tmp_path)}))
    assert err.value.option == "k" and "the SAE to start from" in err.value.message
    result = run(config_from_settings(settings | {"start_from": str(tmp_path), "k": 32}))
    assert result.model.k == 32


def test_fitted_encoder_omp_k_above_the_dictionary_size_is_refused_before_the_init(
    fast_train, no_init
):
    settings = dict(scenario="8x16", encoder_init="fitted", omp_k=17, max_steps=1) | fast_train
    with pytest.raises(ConfigError) as err:
        run(config_from_settings(settings))
    assert err.value.option == "omp-k" and "more than the 16 atoms" in err.value.message


def test_settings_within_the_resolved_size_still_run(fast_train):
    settings = dict(scenario="8x16", architecture="topk", k=16, max_steps=1) | fast_train
    settings |= dict(init="mod", mod_iters=1, omp_k=16, encoder_init="fitted", target_mmcs=1.0)
    result = run(config_from_settings(settings)).result
    assert result["steps"] == 1 and result["dict_size"] == 16
