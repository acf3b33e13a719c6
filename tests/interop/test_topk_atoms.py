"""topk_atoms: every atom the per-row top k picks refitted, in least squares and at unit
norm, to the codes the top k gives; atoms it never picks kept."""

import math

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.interop import InitialWeights, topk_atoms

SAMPLE = torch.tensor([[2.0, 1.0], [1.0, 2.0]])


def weights():
    # latents 0 and 1 read the two axes; latent 2 reads both but its bias keeps it off
    W_enc = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    W_dec = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    return InitialWeights(W_enc, torch.tensor([0.0, 0.0, -10.0]), W_dec, torch.zeros(2))


def test_each_picked_atom_becomes_the_least_squares_atom_of_its_codes():
    # top 1: row (2, 1) picks latent 0 with code 2, row (1, 2) latent 1 with code 2; the
    # least-squares atoms are 2 (2, 1) / 4 and 2 (1, 2) / 4, at unit norm (2, 1) / sqrt 5
    # and (1, 2) / sqrt 5; latent 2 is never picked and keeps (0.6, 0.8)
    refitted = topk_atoms(weights(), SAMPLE, k=1)
    root5 = math.sqrt(5)
    expected = torch.tensor([[2 / root5, 1 / root5], [1 / root5, 2 / root5], [0.6, 0.8]])
    assert torch.allclose(refitted.W_dec, expected, atol=1e-5)
    for name in ("W_enc", "b_enc", "b_dec"):
        assert torch.equal(getattr(refitted, name), getattr(weights(), name))


def test_the_refitted_atoms_reconstruct_the_sample_better():
    before, after = weights(), topk_atoms(weights(), SAMPLE, k=1)

    def error(w):
        pre = SAMPLE @ w.W_enc + w.b_enc
        top = pre.topk(1, dim=1)
        codes = torch.zeros_like(pre).scatter_(1, top.indices, top.values)
        return (SAMPLE - codes @ w.W_dec).pow(2).sum()

    # the axes leave (0, 1) and (1, 0): error 2; the refitted atoms leave each row
    # (1 - 2 / sqrt 5) of itself: error 2 * 5 * (1 - 2 / sqrt 5)^2 = 0.1115
    assert error(before).item() == pytest.approx(2.0)
    assert error(after).item() == pytest.approx(10 * (1 - 2 / math.sqrt(5)) ** 2, rel=1e-4)


@pytest.mark.parametrize(
    ("sample", "k", "option"),
    [(SAMPLE, 4, "k"), (SAMPLE, 0, "k"), (SAMPLE[:, :1], 1, "sample")],
)
def test_bad_arguments_are_refused_by_name(sample, k, option):
    with pytest.raises(ConfigError, match=option):
        topk_atoms(weights(), sample, k=k)
