import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data import ToyConfig, ToyData
from saeinit.inits.encoder import FIT_SAMPLES, fitted_encoder
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


def toy_batch(n=4096, seed=0):
    toy = ToyData(ToyConfig(dim=16, features=32, mean_active=2.0))
    return toy, toy.sample(n, torch.Generator().manual_seed(seed))


def code_error(W_enc, b_enc, batch):
    """Relative squared error of ReLU(x W_enc + b_enc) against the true coefficients."""
    predicted = torch.relu(batch.x @ W_enc + b_enc)
    return ((predicted - batch.coefficients).pow(2).sum() / batch.coefficients.pow(2).sum()).item()


def test_fitted_encoder_reads_true_codes_far_better_than_a_tied_one():
    toy, fit_on = toy_batch(seed=0)
    _, held_out = toy_batch(seed=1)
    W_enc, b_enc = fitted_encoder(toy.features, fit_on.x, k=3)
    assert W_enc.shape == (16, 32) and b_enc.shape == (32,)
    fitted = code_error(W_enc, b_enc, held_out)
    tied = code_error(toy.features.T, torch.zeros(32), held_out)
    assert fitted < 0.65 * tied


def test_fitted_encoder_is_deterministic():
    toy, batch = toy_batch()
    first, second = (
        fitted_encoder(toy.features, batch.x, 3),
        fitted_encoder(toy.features, batch.x, 3),
    )
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


def test_run_with_fitted_encoder_starts_with_a_lower_loss_and_counts_its_time(monkeypatch):
    import time

    import saeinit.inits.encoder as encoder_module

    def slow_fit(*args):  # the real fit, made to take at least FIT_DELAY seconds
        time.sleep(FIT_DELAY)
        return fitted_encoder(*args)

    base = dict(scenario="16x32", mean_active=2.0, init="mod", mod_iters=3, omp_k=3, seed=0,
                max_steps=1, threads=1, progress=False)  # fmt: skip
    default = run(config_from_settings(base)).result
    monkeypatch.setattr(encoder_module, "fitted_encoder", slow_fit)
    fitted = run(config_from_settings(base | {"encoder_init": "fitted"})).result
    assert fitted["mmcs_initial"] == default["mmcs_initial"]  # the same dictionary
    assert fitted["history"][0]["mse"] < 0.5 * default["history"][0]["mse"]
    assert fitted["init_seconds"] >= FIT_DELAY  # the fit's time counts in the init's


@pytest.mark.parametrize(
    ("init_samples", "encoder_samples", "expected"),
    [
        (None, None, FIT_SAMPLES),
        (1000, None, FIT_SAMPLES),
        (FIT_SAMPLES + 3000, None, FIT_SAMPLES + 3000),  # as many as the init sample
        (FIT_SAMPLES + 3000, 500, 500),  # --encoder-samples, whatever the init sample
    ],
)
def test_the_encoder_is_fitted_on_encoder_samples_else_init_samples_when_they_are_more(
    monkeypatch, init_samples, encoder_samples, expected
):
    import saeinit.inits.encoder as encoder_module

    rows = []

    def spy(atoms, sample, *args):
        rows.append(len(sample))
        return fitted_encoder(atoms, sample, *args)

    monkeypatch.setattr(encoder_module, "fitted_encoder", spy)
    settings = dict(scenario="8x16", init="data", encoder_init="fitted", omp_k=2, max_steps=0,
                    init_samples=init_samples, encoder_samples=encoder_samples, threads=1,
                    progress=False)  # fmt: skip
    run(config_from_settings(settings))
    assert rows == [expected]


FIT_DELAY = 2.0


def test_a_sample_beyond_float32_least_squares_is_a_config_error_naming_the_option():
    toy, batch = toy_batch()
    with pytest.raises(ConfigError) as err:  # its Gram matrix overflows float32
        fitted_encoder(toy.features, batch.x * 1e20, 3)
    assert err.value.option == "encoder-init" and "rescale the data" in err.value.message
    W_enc, b_enc = fitted_encoder(toy.features, batch.x * 1e6, 3)  # large but solvable
    assert torch.isfinite(W_enc).all() and torch.isfinite(b_enc).all()


def test_more_atoms_per_sample_than_the_dictionary_holds_is_refused():
    toy, batch = toy_batch()
    with pytest.raises(ConfigError) as err:
        fitted_encoder(toy.features, batch.x, 33)
    assert err.value.option == "omp-k" and "more than the 32 atoms" in err.value.message
