"""Matching pursuit (`pursuit.py`, `screening.py`): exact codes, the least squares, the codes
as a sparse matrix, and the screened search against the whole one."""

import pytest
import torch

import saeinit.inits.pursuit as pursuit
from saeinit.config import ConfigError
from saeinit.inits.pursuit import CodeMatrix, least_squares, matching_pursuit
from saeinit.inits.screening import most_correlated
from saeinit.tensors import normalize_rows


def sparse_data(n_atoms: int, dim: int, samples: int, seed: int = 0):
    """Unit atoms [n_atoms, dim] and samples [samples, dim] that are each 2 of them with
    coefficients in [0.5, 1.5), and those codes densely [samples, n_atoms]."""
    g = torch.Generator().manual_seed(seed)
    atoms = normalize_rows(torch.randn(n_atoms, dim, generator=g))
    codes = torch.zeros(samples, n_atoms)
    rows = torch.arange(samples)
    codes[rows, rows % n_atoms] = torch.rand(samples, generator=g) + 0.5
    codes[rows, (rows * 7 + 3) % n_atoms] = torch.rand(samples, generator=g) + 0.5
    return atoms, codes @ atoms, codes


def dense(codes, n_atoms: int) -> torch.Tensor:
    return torch.zeros(len(codes.support), n_atoms).scatter_(1, codes.support, codes.coef)


def test_matching_pursuit_recovers_exact_sparse_codes():
    atoms = torch.linalg.qr(torch.randn(16, 16))[0][:10]  # orthonormal atoms
    codes = torch.zeros(50, 10)
    codes[torch.arange(50), torch.arange(50) % 10] = torch.rand(50) + 0.5
    codes[torch.arange(50), (torch.arange(50) + 3) % 10] = torch.rand(50) + 0.5
    found = matching_pursuit(codes @ atoms, atoms, k=2)
    assert torch.allclose(dense(found, 10), codes, atol=1e-4)
    assert found.residual.abs().max() < 1e-4


def test_screened_pursuit_recovers_exact_sparse_codes_of_a_large_dictionary():
    """600 atoms in 256 dimensions (more than SEARCH_WHOLE times 16 candidates): each sample is
    coded among its 16 most correlated atoms, which hold its 2 atoms."""
    atoms, x, codes = sparse_data(600, 256, 400)
    assert len(atoms) > pursuit.SEARCH_WHOLE * 16
    found = matching_pursuit(x, atoms, k=2, candidates=16)
    assert torch.allclose(dense(found, 600), codes, atol=1e-4)
    assert found.residual.abs().max() < 1e-4


def test_screening_every_atom_picks_as_the_whole_search_does(monkeypatch):
    """With every atom a candidate, the screened steps (in the candidates' space) pick the
    atoms the whole search picks, with the same coefficients and residuals up to rounding."""
    g = torch.Generator().manual_seed(0)
    atoms = normalize_rows(torch.randn(300, 32, generator=g))
    x = torch.randn(500, 32, generator=g)
    whole = matching_pursuit(x, atoms, 5)
    monkeypatch.setattr(pursuit, "SEARCH_WHOLE", 0)
    screened = matching_pursuit(x, atoms, 5, candidates=300)
    assert torch.equal(screened.support, whole.support)
    assert torch.allclose(screened.coef, whole.coef, atol=1e-5)
    assert torch.allclose(screened.residual, whole.residual, atol=1e-5)


def test_a_dictionary_up_to_search_whole_times_the_candidates_is_searched_whole(monkeypatch):
    """Not screened: in the Gram matrix's space, picking what the reference (candidates 0,
    the residual's correlations recomputed at each step) picks, up to rounding."""
    g = torch.Generator().manual_seed(0)
    atoms = normalize_rows(torch.randn(pursuit.SEARCH_WHOLE * 8, 32, generator=g))
    x = torch.randn(500, 32, generator=g)
    reference = matching_pursuit(x, atoms, 5)
    monkeypatch.setattr(pursuit, "screened_codes", None)  # calling it would fail
    in_gram = matching_pursuit(x, atoms, 5, candidates=8)
    assert torch.equal(in_gram.support, reference.support)
    assert torch.allclose(in_gram.coef, reference.coef, atol=1e-5)
    assert torch.allclose(in_gram.residual, reference.residual, atol=1e-5)


def test_a_dictionary_past_gram_entries_is_searched_whole_as_the_reference(monkeypatch):
    atoms, x, _ = sparse_data(64, 16, 300)
    monkeypatch.setattr(pursuit, "GRAM_ENTRIES", 64**2 - 1)
    reference = matching_pursuit(x, atoms, 3)
    assert all(
        torch.equal(a, b)
        for a, b in zip(reference, matching_pursuit(x, atoms, 3, candidates=8), strict=True)
    )


@pytest.mark.parametrize("width", [40, 1000, 1024, 1030])
def test_most_correlated_are_the_top_scores(width):
    """Whole groups only (1024), a tail after them (1030), fewer groups than wanted (40)."""
    scores = torch.randn(30, width, generator=torch.Generator().manual_seed(width))
    values, columns = most_correlated(scores, 20)
    expected = scores.topk(20, dim=1)
    assert torch.equal(columns.sort(dim=1).values, expected.indices.sort(dim=1).values)
    assert torch.equal(values.sort(dim=1).values, expected.values.sort(dim=1).values)


def test_code_matrix_products_are_those_of_the_dense_matrix():
    g = torch.Generator().manual_seed(0)
    atoms, x = normalize_rows(torch.randn(12, 8, generator=g)), torch.randn(200, 8, generator=g)
    codes = matching_pursuit(x, atoms, k=3)
    C, matrix = dense(codes, 12), CodeMatrix(codes, 13)  # atom 12 unused: rows of zeros
    D, y = torch.randn(13, 8, generator=g), torch.randn(200, 5, generator=g)
    assert torch.allclose(matrix.times(D), C @ D[:12], atol=1e-5)
    assert torch.allclose(matrix.transposed_times(y)[:12], C.T @ y, atol=1e-4)
    assert torch.equal(matrix.transposed_times(y)[12], torch.zeros(5))
    assert torch.allclose(matrix.squared_norms()[:12], (C**2).sum(dim=0), atol=1e-5)


def test_least_squares_matches_lstsq_and_survives_a_repeated_column():
    g = torch.Generator().manual_seed(0)
    basis = torch.nn.functional.normalize(torch.randn(50, 16, 4, generator=g), dim=1)
    target = torch.randn(50, 16, 1, generator=g)
    expected = torch.linalg.lstsq(basis.double(), target.double()).solution.float()
    assert torch.allclose(least_squares(basis, target), expected, atol=1e-3)
    repeated = torch.cat([basis, basis[:, :, :1]], dim=2)
    assert torch.isfinite(least_squares(repeated, target)).all()


@pytest.mark.parametrize(
    "candidates,search_whole", [(0, 0), (8, 0), (8, 4)], ids=["whole", "screened", "in-gram"]
)
def test_a_failed_solve_is_a_config_error_naming_the_option(candidates, search_whole, monkeypatch):
    monkeypatch.setattr(pursuit, "SEARCH_WHOLE", search_whole)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 16, generator=g)
    atoms = normalize_rows(torch.randn(32, 16, generator=g)) * 1e20  # Gram overflows float32
    with pytest.raises(ConfigError) as err:
        matching_pursuit(x, atoms, 3, candidates)
    assert err.value.option == "init" and "rescale the data" in err.value.message
    with pytest.raises(ConfigError) as err:
        matching_pursuit(x, atoms, 3, candidates, option="encoder-init")
    assert err.value.option == "encoder-init"
