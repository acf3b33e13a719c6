import math

import pytest
import torch

from saeinit import metrics

# Hand-checked case: 2-D features e0, e1, (e0+e1)/sqrt2; atoms e0 and a 60-degree rotation of e0.
FEATURES = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
ATOMS = torch.tensor([[2.0, 0.0], [0.5, math.sqrt(3) / 2]])
C60, C45, C15 = 0.5, math.sqrt(0.5), math.cos(math.radians(15))


def test_cosine_matrix_normalises_both_sides():
    expected = torch.tensor([[1.0, C60], [0.0, math.sqrt(3) / 2], [C45, C15]])
    assert torch.allclose(metrics.cosine_matrix(FEATURES, ATOMS), expected, atol=1e-6)


def test_mmcs_by_hand():
    assert metrics.mmcs(FEATURES, ATOMS) == pytest.approx(
        (1 + math.sqrt(3) / 2 + C15) / 3, abs=1e-6
    )


def test_recovered_fraction_by_hand():
    assert metrics.recovered_fraction(FEATURES, ATOMS, 0.9) == pytest.approx(2 / 3)
    assert metrics.recovered_fraction(FEATURES, ATOMS, 0.99) == pytest.approx(1 / 3)


def test_mcc_is_one_to_one():
    # MMCS may use atom 0 for two features; the matching may not. Best matching of 2 atoms to
    # 3 features: feature0-atom0 (1) + feature2-atom1 (cos15) beats feature1-atom1.
    assert metrics.mcc(FEATURES, ATOMS) == pytest.approx((1 + C15) / 2, abs=1e-6)
    duplicated = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    two = FEATURES[:2]
    assert metrics.mmcs(two, duplicated) == pytest.approx(0.5)
    assert metrics.mcc(two, duplicated) == pytest.approx(0.5)


def test_mcc_uses_absolute_cosine_and_mmcs_signed():
    assert metrics.mcc(FEATURES[:1], -FEATURES[:1]) == pytest.approx(1.0)
    assert metrics.mmcs(FEATURES[:1], -FEATURES[:1]) == pytest.approx(-1.0)


def test_recovery_summary_agrees_with_single_metrics():
    f, a = torch.randn(30, 8), torch.randn(40, 8)
    summary = metrics.recovery_summary(f, a, with_mcc=True)
    assert "mcc" not in metrics.recovery_summary(f, a)  # the cubic matching only when asked
    assert summary["mmcs"] == pytest.approx(metrics.mmcs(f, a))
    assert summary["mcc"] == pytest.approx(metrics.mcc(f, a))
    assert summary["recovered_0.9"] == pytest.approx(metrics.recovered_fraction(f, a, 0.9))


def test_activity_metrics_by_hand():
    acts = torch.tensor([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]])
    assert metrics.l0(acts) == 1.5
    assert metrics.dead_latents(acts) == 1
    x = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    assert metrics.fvu(x, x) == 0.0
    assert metrics.fvu(x, x.mean(dim=0).expand_as(x)) == pytest.approx(1.0)
    assert metrics.fvu(x, torch.tensor([[1.0, 0.0], [2.0, 0.0]])) == pytest.approx(0.5)


# Live MMCS by hand, in 2-D: features e0 and e1; atoms e0, e1 and their diagonal. acts[i] are
# the latents' activations on feature i presented alone.
LIVE_ATOMS = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def test_live_mmcs_counts_only_the_atoms_of_latents_that_fire():
    # On e0 latents 0 and 2 fire: best cosine 1. On e1 the matching latent 1 does not fire
    # (its activation is 0), only the diagonal does: cos 45.
    acts = torch.tensor([[0.5, 0.0, 0.2], [0.0, 0.0, 0.3]])
    assert metrics.mmcs(FEATURES[:2], LIVE_ATOMS) == pytest.approx(1.0)
    assert metrics.live_mmcs(FEATURES[:2], LIVE_ATOMS, acts) == pytest.approx((1 + C45) / 2)
    best = metrics.live_max_cosines(metrics.cosine_matrix(FEATURES[:2], LIVE_ATOMS), acts)
    assert torch.allclose(best, torch.tensor([1.0, C45]))


def test_live_mmcs_scores_a_feature_on_which_nothing_fires_zero():
    # Negative activations (no architecture here makes them) do not count as firing either.
    acts = torch.tensor([[0.5, 0.0, 0.0], [0.0, -1.0, 0.0]])
    assert metrics.live_mmcs(FEATURES[:2], LIVE_ATOMS, acts) == pytest.approx(0.5)
    assert metrics.live_mmcs(FEATURES[:2], LIVE_ATOMS, torch.zeros(2, 3)) == 0.0


def test_live_mmcs_keeps_the_sign_of_the_cosine_as_mmcs_does():
    # Only an atom pointing away from e0 fires on it: cosine -1, not 0 nor 1.
    acts = torch.tensor([[0.0, 1.0]])
    atoms = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    assert metrics.live_mmcs(FEATURES[:1], atoms, acts) == pytest.approx(-1.0)


def test_recovery_summary_puts_live_mmcs_beside_mmcs_when_given_the_activations():
    acts = torch.tensor([[0.5, 0.0, 0.2], [0.0, 0.0, 0.3]])
    summary = metrics.recovery_summary(FEATURES[:2], LIVE_ATOMS, acts)
    assert list(summary)[:2] == ["mmcs", "live_mmcs"]
    assert summary["live_mmcs"] == pytest.approx((1 + C45) / 2)
    assert "live_mmcs" not in metrics.recovery_summary(FEATURES[:2], LIVE_ATOMS)
