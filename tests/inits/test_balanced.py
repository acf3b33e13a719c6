"""The balanced encoder init: every latent's top pre-activations at one height."""

import torch

from saeinit.inits.balanced import balance, upper_quantiles


def test_latents_are_scaled_to_the_median_height_and_keep_their_order():
    # Samples (t, t / 2, -t) for t = 1..100: latent 0 reads coordinate 0 (99th percentile 99),
    # latent 1 reads coordinate 1 at a tenth of the scale (4.95), latent 2 coordinate 0 at
    # twice the scale (198). The median height is 99: latent 0 stays, latent 1 is scaled by
    # 99 / 4.95 = 20, latent 2 by 1/2.
    t = torch.arange(1.0, 101.0)
    sample = torch.stack([t, t / 2, -t], dim=1)
    W = torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.1, 0.0], [0.0, 0.0, 0.0]])
    b = torch.zeros(3)
    assert torch.allclose(upper_quantiles(W, b, sample, 0.99), torch.tensor([99.0, 4.95, 198.0]))
    W2, b2 = balance(W, b, sample)
    assert torch.allclose(W2, W * torch.tensor([1.0, 20.0, 0.5]))
    assert torch.allclose(upper_quantiles(W2, b2, sample, 0.99), torch.full((3,), 99.0))
    ranking = (sample @ W).argsort(dim=0)
    assert torch.equal((sample @ W2 + b2).argsort(dim=0), ranking)


def test_a_latent_never_positive_has_its_bias_raised_to_the_height():
    t = torch.arange(1.0, 101.0)
    sample = torch.stack([t, -t], dim=1)
    W = torch.eye(2)  # latent 1 reads -t: its 99th of 100 values, ascending, is -2
    W2, b2 = balance(W, torch.zeros(2), sample)
    assert torch.equal(W2[:, 1], W[:, 1]) and b2[1].item() == 99.0 + 2.0
    assert torch.allclose(upper_quantiles(W2, b2, sample, 0.99), torch.full((2,), 99.0))


def test_chunks_give_the_same_quantiles(monkeypatch):
    generator = torch.Generator().manual_seed(0)
    sample, W = torch.randn(300, 8, generator=generator), torch.randn(8, 50, generator=generator)
    b = torch.randn(50, generator=generator)
    whole = upper_quantiles(W, b, sample, 0.9)
    monkeypatch.setattr("saeinit.inits.balanced.CHUNK_ENTRIES", 300 * 7)
    assert torch.allclose(upper_quantiles(W, b, sample, 0.9), whole, atol=1e-6)
