"""The data-free baselines beyond the pinned digests: SAELens' default decoder."""

import pytest
import torch


def test_saelens_init_gives_saelens_default_decoder_directions():
    """SAELens' default SAE draws W_dec with kaiming_uniform_ from torch's global generator;
    the saelens init draws the same numbers from its own generator, then normalises."""
    sae_lens = pytest.importorskip("sae_lens")
    from saeinit.inits import InitConfig, InitRequest, initialize

    torch.manual_seed(11)
    sae = sae_lens.StandardTrainingSAE(sae_lens.StandardTrainingSAEConfig(d_in=12, d_sae=40))
    generator = torch.Generator().manual_seed(11)
    request = InitRequest(40, 12, generator, lambda n: torch.zeros(n, 12), InitConfig("saelens"))
    atoms = initialize(request).W_dec
    expected = sae.W_dec.detach() / sae.W_dec.detach().norm(dim=1, keepdim=True)
    assert torch.allclose(atoms, expected, atol=1e-6)
