import pytest
import torch


@pytest.fixture
def saelens_reads_it_as_jumprelu():
    """The check below, for the tests of the architectures SAELens saves as JumpReLU."""
    return assert_saelens_reads_it_as_jumprelu


def assert_saelens_reads_it_as_jumprelu(folder, model, scale: float | None, x: torch.Tensor):
    """SAELens loads the BatchTopK-like `model` saved in `folder` (trained on inputs times
    `scale`) as a JumpReLU SAE whose encodings and outputs on `x` are the model's; returns
    SAELens' SAE."""
    sae_lens = pytest.importorskip("sae_lens")
    theirs = sae_lens.SAE.load_from_disk(folder)
    assert isinstance(theirs, sae_lens.JumpReLUSAE)
    scale = scale or 1.0
    model.eval()
    with torch.no_grad():
        acts = model.encode(x * scale)
        assert 0 < (acts > 0).float().mean() < 1
        assert torch.allclose(theirs.encode(x), acts, atol=1e-5)
        assert torch.allclose(theirs(x), model(x * scale).x_hat / scale, atol=1e-5)
    return theirs
