import pytest
import torch

from saeinit.config import ConfigError
from saeinit.inits import chunks
from saeinit.models import ReLUSAE
from saeinit.training import resample
from saeinit.training.config import TrainConfig
from saeinit.training.resample import FiringCounter, ResidualPool, duplicates
from saeinit.training.trainer import train


def test_resampling_reseeds_dead_latents_from_residuals():

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
    counter = FiringCounter(8, torch.device("cpu"))
    counter.update(model.encode(torch.rand(512, 8) @ toy_features))
    assert len(counter.dead()) < 3
    assert torch.allclose(model.W_dec.norm(dim=1), torch.ones(8), atol=1e-5)


def test_residual_pool_keeps_the_worst_reconstructed_samples_across_batches():

    pool = ResidualPool(capacity=3)
    pool.update(torch.tensor([[1.0, 0.0], [5.0, 0.0], [0.1, 0.0]]))
    pool.update(torch.tensor([[0.0, 4.0], [0.0, 0.2]]))
    assert sorted(pool.residuals.norm(dim=1).tolist()) == [1.0, 4.0, 5.0]
    pool.reset()
    assert pool.residuals is None


def test_the_firing_counter_counts_samples_per_latent():
    counter = FiringCounter(3, torch.device("cpu"))
    counter.update(torch.tensor([[0.5, 0.0, 0.0], [0.2, 0.0, 1.0]]))
    counter.update(torch.tensor([[0.0, 0.0, 3.0]]))
    assert counter.fires.tolist() == [2, 0, 2]
    assert counter.dead().tolist() == [1]


@pytest.mark.parametrize("chunk_rows", [None, 2])
def test_of_near_copies_all_but_the_busiest_are_duplicates(monkeypatch, chunk_rows):
    if chunk_rows:  # chunks of 2 rows: pairs across chunks and within them
        monkeypatch.setattr(chunks, "MIN_ROWS", chunk_rows)
        monkeypatch.setattr(chunks, "CHUNK_ENTRIES", chunk_rows * 5)
    # latents 0 and 1 at cosine 0.99 (1 fired more); 2 and 3 equal with equal fires (3 has the
    # higher index); 4 at cosine 0.8 with 0, below the 0.9 cut
    atoms = torch.tensor([[1.0, 0.0, 0.0], [0.99, (1 - 0.99**2) ** 0.5, 0.0],
                          [0.0, 0.0, 2.0], [0.0, 0.0, 1.0], [0.8, 0.0, 0.6]])  # fmt: skip
    fires = torch.tensor([5, 10, 3, 3, 0])
    assert duplicates(atoms, fires, 0.9).tolist() == [0, 3]
    assert duplicates(atoms, fires, 0.75).tolist() == [0, 3, 4]


def test_resampling_duplicates_separates_two_latents_on_one_feature():
    features = torch.nn.functional.normalize(
        torch.randn(8, 6, generator=torch.Generator().manual_seed(1)), dim=1
    )

    def run(max_cosine):
        model = ReLUSAE(6, 8, 0.1)
        model.set_decoder(torch.cat([features[:7], features[:1]]))  # latent 7 copies latent 0
        model.set_encoder(model.W_dec.detach().T, torch.zeros(8))  # each reads its own atom
        generator = torch.Generator().manual_seed(2)
        batches = iter(lambda: torch.rand(64, 8, generator=generator) @ features, None)
        config = TrainConfig(max_steps=2, resample_every=2, resample_duplicates=max_cosine,
                             eval_every=2, progress=False)  # fmt: skip
        result = train(model, batches, config)
        atoms = torch.nn.functional.normalize(model.W_dec.detach(), dim=1)
        return result.resampled, (atoms @ atoms.T).fill_diagonal_(0).max().item()

    resampled, closest = run(None)
    assert resampled == 0 and closest > 0.99
    resampled, closest = run(0.9)
    assert resampled >= 1 and closest < 0.9


@pytest.mark.parametrize(
    "settings, option",
    [
        ({"resample_duplicates": 0.9}, "resample-duplicates"),
        ({"resample_duplicates": 0.0, "resample_every": 5}, "resample-duplicates"),
        ({"resample_threshold": 0.3}, "resample-threshold"),
        ({"resample_threshold": -0.1, "resample_every": 5}, "resample-threshold"),
    ],
)
def test_bad_resampling_settings_are_refused(settings, option):
    with pytest.raises(ConfigError) as err:
        TrainConfig(**settings)
    assert err.value.option == option


def test_a_reseeded_latent_fires_only_above_its_threshold():
    model = ReLUSAE(2, 3, 0.1)
    with torch.no_grad():
        model.W_enc.copy_(torch.tensor([[2.0, 0.0, 1.0], [0.0, 4.0, 1.0]]))
        model.b_enc.fill_(0.5)
    optimizer = torch.optim.Adam(model.parameters())
    dead, residual = torch.tensor([2]), torch.tensor([[3.0, 4.0]])
    assert resample.resample(model, optimizer, dead, residual, torch.Generator(), 0.3) == 1
    # atom (0.6, 0.8); encoder column 0.2 x 3 (the live columns' mean norm) x atom; bias
    # -0.3 x 0.2 x 3, so that the pre-activation is 0.6 x (projection on the atom - 0.3)
    assert model.W_dec[2].tolist() == pytest.approx([0.6, 0.8])
    assert model.W_enc[:, 2].tolist() == pytest.approx([0.36, 0.48])
    assert model.b_enc[2].item() == pytest.approx(-0.18)
    atom = torch.tensor([0.6, 0.8])
    acts = model.encode(torch.stack([0.35 * atom, 0.25 * atom]))
    assert acts[0, 2].item() == pytest.approx(0.03, abs=1e-6) and acts[1, 2].item() == 0.0
