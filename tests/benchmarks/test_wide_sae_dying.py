"""benchmarks/wide_sae_dying.py: a latent's last firing step and the share of its firings that
lower the reconstruction error, on hand-made cases."""

import importlib
import math
import sys
from pathlib import Path

import pytest
import torch

from saeinit import InitialWeights

pytest.importorskip("sparsify")
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def load(name):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


def test_last_fired_is_the_last_step_with_a_count_and_minus_one_for_never():
    dying = load("wide_sae_dying")
    fires = torch.tensor([[1, 0, 0], [1, 2, 0], [0, 1, 0]])
    assert dying.last_fired(fires).tolist() == [1, 2, -1]


def test_helpful_share_by_hand():
    """Atoms e1, e2; latent 0 reads 1.5 x0 (its own axis), latent 1 reads 2 x0 (the wrong
    axis), k 2. Row (1, 0): codes 1.5, 2, error (-0.5, -2): latent 0 helps (-0.5 > -0.75),
    latent 1 does not (-2 < -1). Row (2, 4): codes 3, 4, error (-1, 0): both help (-1 > -1.5,
    0 > -2). Shares 2/2 and 1/2."""
    dying = load("wide_sae_dying")
    weights = InitialWeights(
        W_enc=torch.tensor([[1.5, 2.0], [0.0, 0.0]]),
        b_enc=torch.zeros(2),
        W_dec=torch.eye(2),
        b_dec=torch.zeros(2),
    )
    share = dying.helpful_share(weights, torch.tensor([[1.0, 0.0], [2.0, 4.0]]), k=2)
    assert share.tolist() == [1.0, 0.5]


def test_a_latent_that_never_fires_has_no_share_and_summary_counts_the_dying():
    dying = load("wide_sae_dying")
    weights = InitialWeights(torch.eye(2), torch.tensor([0.0, -10.0]), torch.eye(2), torch.zeros(2))
    share = dying.helpful_share(weights, torch.tensor([[1.0, 0.5]]), k=1)
    assert share[0].item() == 1.0 and math.isnan(share[1].item())
    report = dying.summary(torch.tensor([1.0, 0.2, 0.5, 0.9]), torch.tensor([7, 2, 5, -1]), 8)
    assert report["dying"] == 3 and report["last_step_of_dying"] == [-1, 2, 5]
    assert report["helpful_share_others_q10_q50_q90"] == [1.0, 1.0, 1.0]
