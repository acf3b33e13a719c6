import pytest
import torch

DIM, LATENTS = 16, 32


@pytest.fixture(scope="session")
def toy():
    """A toy sample [2000, 16] of 32 ground-truth features, and the features."""
    from saeinit import ToyConfig
    from saeinit.data.toy import ToyData

    data = ToyData(ToyConfig(dim=DIM, features=LATENTS))
    return data.sample(2000, torch.Generator().manual_seed(0)).x, data.features


@pytest.fixture(scope="session")
def weights(toy):
    """mod + fitted encoder initial weights for the toy sample, with a mean b_dec (so that
    its place in each library's forward pass matters)."""
    from saeinit.interop import initial_weights

    return initial_weights(toy[0], LATENTS, b_dec="mean")


@pytest.fixture(scope="session")
def ours():
    """ours(weights, k=None): our ReLU SAE (or TopK SAE with k) holding the weights."""
    from saeinit.models import ReLUSAE, TopKSAE

    def build(weights, k=None):
        d_in, d_sae = weights.W_enc.shape
        model = ReLUSAE(d_in, d_sae, b_dec=True) if k is None else TopKSAE(d_in, d_sae, k, True)
        with torch.no_grad():
            for name, value in weights._asdict().items():
                getattr(model, name).copy_(value)
        return model

    return build
