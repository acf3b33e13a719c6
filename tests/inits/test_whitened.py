import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data import ToyConfig, ToyData
from saeinit.inits import chunks
from saeinit.inits.encoder import FIT_SAMPLES, fitted_encoder
from saeinit.inits.whitened import row_medians, whitened_encoder
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


def test_whitened_encoder_matches_the_hand_derived_weights():
    # M = E[x x^T] = [[6, 1], [1, 6]] / 5, M^-1 = [[6, -1], [-1, 6]] / 7. Atom (1, 0):
    # M^-1 d = (6, -1) / 7, d . M^-1 d = 6 / 7, column (1, -1/6); atom (0, 1): (-1/6, 1).
    # Column 1 reads 2, -1, -1/3, 1/6, 5/6: median 1/6; deviations 11/6, 7/6, 1/2, 0, 2/3:
    # median 2/3. Column 2 reads the same five values in another order.
    sample = torch.tensor([[2.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -1.0], [1.0, 1.0]])
    W_enc, b_enc = whitened_encoder(torch.eye(2), sample, sigmas=2.0)
    assert torch.allclose(W_enc, torch.tensor([[1.0, -1 / 6], [-1 / 6, 1.0]]), atol=1e-5)
    expected_bias = -(1 / 6 + 2.0 * 1.4826 * 2 / 3)
    assert torch.allclose(b_enc, torch.full((2,), expected_bias), atol=1e-5)


@pytest.mark.parametrize(("width", "median"), [(5, 2.0), (6, 1.5)])
def test_row_medians_are_the_lower_medians_torch_gives(width, median):
    # -1, 0.5, 2, 3, 4: the middle value 2; with 1.5 added, the lower of 1.5 and 2.
    values = torch.tensor([[4.0, -1.0, 3.0, 0.5, 2.0, 1.5][:width], [7.0] * width])
    assert torch.equal(row_medians(values), torch.tensor([median, 7.0]))
    many = torch.randn(7, 1000 + width, generator=torch.Generator().manual_seed(0))
    assert torch.equal(row_medians(many), many.median(dim=1).values)


def rare_toy(seed=0):
    """Toy data whose frequencies fall 100-fold from the first feature to the last."""
    return ToyData(ToyConfig(dim=16, features=64, decay=0.93, mean_active=2.0, seed=seed))


def test_every_latent_reads_its_atom_at_scale_one_where_the_fitted_read_out_shrinks():
    toy = rare_toy()
    sample = toy.sample(16384, torch.Generator().manual_seed(1)).x
    W_enc, b_enc = whitened_encoder(toy.features, sample, sigmas=1.5)
    assert torch.allclose((toy.features.T * W_enc).sum(0), torch.ones(64), atol=1e-4)
    assert (b_enc < 0).all()
    fitted, _ = fitted_encoder(toy.features, sample, 3)
    reads = (toy.features.T * fitted).sum(0)  # the fitted latent's read of its own feature
    assert reads[-8:].mean() < 0.5 * reads[:8].mean()  # the rarest read far weaker
    # A feature presented alone at 0.5 fires its own latent under the whitened encoder.
    own = torch.relu(0.5 * toy.features @ W_enc + b_enc).diagonal()
    assert (own > 0).all()


def test_a_zero_sample_is_a_config_error_naming_the_option():
    sample = torch.zeros(100, 4)
    with pytest.raises(ConfigError) as err:
        whitened_encoder(torch.eye(4), sample, sigmas=1.0)
    assert err.value.option == "encoder-init" and "100 samples" in str(err.value)
    assert "all zero" in str(err.value)


def test_data_beyond_float32_s_range_is_a_config_error_naming_the_option():
    # Squares of 1e20 overflow float32's second moment: the error names the data's scale.
    sample = torch.randn(100, 4, generator=torch.Generator().manual_seed(0)) * 1e20
    with pytest.raises(ConfigError) as err:
        whitened_encoder(torch.eye(4), sample, sigmas=1.0)
    assert err.value.option == "encoder-init" and "rescale the data" in str(err.value)


def test_a_run_builds_the_whitened_encoder_from_its_sigmas():
    settings = dict(scenario="8x16", init="data", encoder_init="whitened", encoder_sigmas=0.0,
                    max_steps=0, threads=1, progress=False)  # fmt: skip
    at_zero = run(config_from_settings(settings)).model
    at_two = run(config_from_settings(settings | {"encoder_sigmas": 2.0})).model
    assert torch.equal(at_zero.W_enc, at_two.W_enc)  # the sigmas move the bias only
    assert (at_two.b_enc < at_zero.b_enc).all()
    assert torch.allclose((at_two.W_dec.T * at_two.W_enc).sum(0), torch.ones(16), atol=1e-4)


@pytest.mark.parametrize(
    ("init_samples", "encoder_samples", "expected"),
    [(FIT_SAMPLES + 3000, None, FIT_SAMPLES), (None, 500, 500)],
)
def test_the_whitened_sample_does_not_grow_with_the_init_sample(
    monkeypatch, init_samples, encoder_samples, expected
):
    import saeinit.inits.whitened as whitened_module

    rows = []

    def spy(atoms, sample, sigmas):
        rows.append(len(sample))
        return whitened_encoder(atoms, sample, sigmas)

    monkeypatch.setattr(whitened_module, "whitened_encoder", spy)
    settings = dict(scenario="8x16", init="data", encoder_init="whitened", max_steps=0,
                    init_samples=init_samples, encoder_samples=encoder_samples, threads=1,
                    progress=False)  # fmt: skip
    run(config_from_settings(settings))
    assert rows == [expected]


def test_the_read_out_solved_a_chunk_of_atoms_at_a_time_is_the_same(monkeypatch):
    g = torch.Generator().manual_seed(0)
    sample, atoms = torch.randn(1000, 8, generator=g).relu(), torch.randn(600, 8, generator=g)
    whole = whitened_encoder(atoms, sample, sigmas=1.5)
    monkeypatch.setattr(chunks, "CHUNK_ENTRIES", 8 * 256)  # chunks of 256 atoms: three
    assert len(chunks.row_chunks(atoms, 8)) == 3
    parts = whitened_encoder(atoms, sample, sigmas=1.5)
    # The second moment's sums, chunked too, round differently: equal to float32 rounding.
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(whole, parts, strict=True))
