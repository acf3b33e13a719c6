"""topk_start: latents a per-token top-k would never pick get the encoder bias to win a few
rows of the sample."""

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.interop import InitialWeights, topk_start

# Latent i reads coordinate i. With k = 1 the rows' winners are latents 0, 0, 1 and 0, at
# k-th values 3, 2, 2 and 1 (mean 2): latent 0 wins 3 rows, latent 1 one, latent 2 none.
SAMPLE = torch.tensor([[3.0, 1.0, 0.5], [2.0, 1.5, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 0.2]])
MARGIN = 1e-4 * 2.0


def weights():
    eye = torch.eye(3)
    return InitialWeights(eye, torch.zeros(3), eye, torch.zeros(3))


def test_a_latent_that_wins_no_row_is_lifted_past_the_nearest_k_th_value():
    # latent 2 trails the k-th values by 2.5, 2, 1 and 0.8: one row asks for a lift of 0.8
    lifted = topk_start(weights(), SAMPLE, k=1, min_rows=1)
    assert torch.allclose(lifted.b_enc, torch.tensor([0.0, 0.0, 0.8 + MARGIN]))
    assert torch.equal(lifted.W_enc, weights().W_enc) and torch.equal(lifted.W_dec, weights().W_dec)
    winners = ((SAMPLE - lifted.b_dec) @ lifted.W_enc + lifted.b_enc).argmax(dim=1)
    assert winners.tolist() == [0, 0, 1, 2]  # latent 2 now wins the last row


def test_two_rows_each_lift_every_latent_with_fewer_wins():
    # latent 1 trails by 2, 0.5, 0 (it wins there) and 1: its second smallest gap is 0.5;
    # latent 2's second smallest is 1; latent 0 wins 3 rows and keeps its bias
    lifted = topk_start(weights(), SAMPLE, k=1, min_rows=2)
    assert torch.allclose(lifted.b_enc, torch.tensor([0.0, 0.5 + MARGIN, 1.0 + MARGIN]))


def test_nothing_changes_when_every_latent_wins_enough_rows():
    lifted = topk_start(weights(), SAMPLE, k=3, min_rows=2)  # k = 3: all positive values win
    assert torch.equal(lifted.b_enc, weights().b_enc)


@pytest.mark.parametrize(
    ("sample", "k", "min_rows", "option"),
    [
        (SAMPLE, 1, 0, "min_rows"),
        (SAMPLE, 1, 5, "min_rows"),  # more rows than the sample has
        (SAMPLE, 4, 1, "k"),  # k above the width
        (SAMPLE, 0, 1, "k"),
        (SAMPLE[:, :2], 1, 1, "sample"),
    ],
)
def test_bad_arguments_are_refused_by_name(sample, k, min_rows, option):
    with pytest.raises(ConfigError, match=option):
        topk_start(weights(), sample, k=k, min_rows=min_rows)
