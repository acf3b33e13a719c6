import pytest
import torch

from saeinit.tensors import all_finite, non_finite_rows, normalize_rows


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_one_non_finite_value_anywhere_is_found(bad):
    x = torch.randn(300, 7)
    assert all_finite(x)
    for row, column in ((0, 0), (150, 3), (299, 6)):
        spoiled = x.clone()
        spoiled[row, column] = bad
        assert not all_finite(spoiled)
    both = x.clone()
    both[1, 1], both[2, 2] = float("nan"), float("inf")
    assert not all_finite(both)


def test_empty_integer_and_extreme_tensors():
    assert all_finite(torch.empty(0, 5))
    assert all_finite(torch.arange(10))
    assert all_finite(torch.tensor([3.4e38, -3.4e38, 1e-45]))
    assert not all_finite(torch.full((4, 4), float("nan")))


def test_normalize_rows_leaves_zero_rows_zero():
    rows = normalize_rows(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    assert torch.equal(rows, torch.tensor([[0.6, 0.8], [0.0, 0.0]]))


def test_non_finite_rows_counts_rows_not_values():
    x = torch.randn(50, 4)
    assert non_finite_rows(x) == 0
    x[3, 0] = x[3, 2] = float("nan")  # two bad values, one row
    x[40, 1] = -float("inf")
    assert non_finite_rows(x) == 2
