import torch

from saeinit.models import ReLUSAE
from saeinit.training.config import TrainConfig
from saeinit.training.resample import DeadLatentTracker, ResidualPool
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
    tracker = DeadLatentTracker(8, torch.device("cpu"))
    tracker.update(model.encode(torch.rand(512, 8) @ toy_features))
    assert len(tracker.dead()) < 3
    assert torch.allclose(model.W_dec.norm(dim=1), torch.ones(8), atol=1e-5)


def test_residual_pool_keeps_the_worst_reconstructed_samples_across_batches():

    pool = ResidualPool(capacity=3)
    pool.update(torch.tensor([[1.0, 0.0], [5.0, 0.0], [0.1, 0.0]]))
    pool.update(torch.tensor([[0.0, 4.0], [0.0, 0.2]]))
    assert sorted(pool.residuals.norm(dim=1).tolist()) == [1.0, 4.0, 5.0]
    pool.reset()
    assert pool.residuals is None
