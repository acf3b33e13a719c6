"""sae-mod: MOD with a tied BatchTopK SAE's codes."""

import pytest
import torch

from saeinit import metrics
from saeinit.config import ConfigError
from saeinit.data import ToyConfig, ToyData
from saeinit.inits import InitConfig, InitRequest, initialize
from saeinit.inits.dictlearn import optimal_directions
from saeinit.inits.pursuit import SparseCodes
from saeinit.inits.sae_mod import batchtopk_codes
from saeinit.tensors import normalize_rows


def test_batchtopk_codes_keep_the_sample_s_largest_positive_projections_wherever_they_are():
    """Atoms the axes, k = 1 over 3 samples: the 3 largest projections of the 9 (5, 4, 1) are
    kept, two of them in one sample and none in the sample whose largest is 0.5; the residual
    is what they leave."""
    x = torch.tensor([[5.0, 1.0, 0.0], [0.5, 0.0, 0.0], [0.0, 4.0, -2.0]])
    codes = batchtopk_codes(x, torch.eye(3), k=1)
    kept = torch.zeros(3, 3).scatter_(1, codes.support, codes.coef)
    assert torch.equal(kept, torch.tensor([[5.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 4.0, 0.0]]))
    assert torch.equal(codes.residual, torch.tensor([[0.0, 0, 0], [0.5, 0, 0], [0, 0, -2.0]]))


@pytest.mark.parametrize("thresholded,expected_scale", [(False, 1.0), (True, None)])
def test_the_rescaled_start_is_each_atom_at_its_best_scale(
    monkeypatch, thresholded, expected_scale
):
    """Each sample uses one atom, x = code * (s_i * atom_i): with no conjugate-gradient step
    the solution is its start, which rescaled is s_i * atom_i exactly (C.T C diagonal)."""
    import saeinit.inits.dictlearn as dictlearn

    monkeypatch.setattr(dictlearn, "PCG_ITERATIONS", 0)
    g = torch.Generator().manual_seed(0)
    atoms = normalize_rows(torch.randn(4, 6, generator=g))
    scales = torch.tensor([2.0, 0.5, 3.0, 1.0])
    support = torch.arange(40).remainder(4).unsqueeze(1)
    coef = torch.rand(40, 1, generator=g) + 0.5
    x = coef * (scales.unsqueeze(1) * atoms)[support.squeeze(1)]
    codes = SparseCodes(support, coef, torch.empty(0))
    solution = optimal_directions(codes, x, atoms, thresholded)
    expected = atoms * (scales.unsqueeze(1) if expected_scale is None else expected_scale)
    assert torch.allclose(solution, expected, atol=1e-5)


def test_sae_mod_finds_toy_features_that_data_samples_miss():
    """16 dimensions, 32 features, 5 active per sample: the dictionary after 20 rounds is far
    closer to the features than the data samples it starts from."""
    toy = ToyData(ToyConfig(dim=16, features=32, mean_active=5.0))

    def start_mmcs(init: str, **options) -> float:
        config = InitConfig(init=init, init_samples=4096, **options)
        request = InitRequest(32, 16, torch.Generator().manual_seed(0), toy.sampler(0), config)
        return metrics.mmcs(toy.features, initialize(request).W_dec)

    informed = start_mmcs("sae-mod", sae_mod_k=5, sae_mod_iters=20)
    assert informed > 0.85 and informed > start_mmcs("data") + 0.15


def test_more_atoms_per_sample_than_the_dictionary_holds_is_refused():
    toy = ToyData(ToyConfig(dim=8, features=16))
    config = InitConfig(init="sae-mod", sae_mod_k=9)
    request = InitRequest(8, 8, torch.Generator().manual_seed(0), toy.sampler(0), config)
    with pytest.raises(ConfigError) as err:
        initialize(request)
    assert err.value.option == "sae-mod-k" and "more than the 8 atoms" in err.value.message


def test_sae_mod_puts_the_atoms_it_uses_most_first():
    """Toy features whose frequencies fall by 0.9 from one to the next: the best atoms of the 8
    most frequent sit on average within the first third of the dictionary (positions 2-16,
    mean 6.5, where an unordered dictionary would put them near its middle, 15.5), before
    those of the next 8 (mean 16.75)."""
    from saeinit.metrics.recovery import cosine_matrix

    toy = ToyData(ToyConfig(dim=16, features=32, mean_active=5.0, decay=0.9))
    config = InitConfig(init="sae-mod", init_samples=4096, sae_mod_k=5, sae_mod_iters=20)
    request = InitRequest(32, 16, torch.Generator().manual_seed(0), toy.sampler(0), config)
    position = cosine_matrix(toy.features, initialize(request).W_dec).argmax(dim=1).float()
    assert position[:8].mean() < 32 / 3 and position[:8].mean() < position[8:16].mean()
