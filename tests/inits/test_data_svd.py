"""The `data` and `svd` inits, on small fixed samples."""

import numpy as np
import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data import ToyConfig, ToyData
from saeinit.inits import InitConfig, InitRequest, initialize
from saeinit.tensors import normalize_rows


def request_for(x: torch.Tensor, n_atoms: int, seed: int = 0, **options) -> InitRequest:
    """A request whose draws are the first rows of the fixed sample x."""
    return InitRequest(
        n_atoms,
        x.shape[1],
        torch.Generator().manual_seed(seed),
        lambda k: x[:k],
        InitConfig(**options),
    )


def max_cos(atoms: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """For each atom, its largest cosine with any candidate vector."""
    return (normalize_rows(atoms) @ normalize_rows(candidates).T).max(dim=1).values


def check_atoms(W: torch.Tensor, n: int, d: int) -> None:
    assert W.shape == (n, d) and torch.isfinite(W).all()
    assert torch.allclose(W.norm(dim=1), torch.ones(n), atol=1e-5)


X = torch.randn(400, 12, generator=torch.Generator().manual_seed(1)) + 0.5


def test_data_atoms_are_distinct_samples():
    W = initialize(request_for(X, 30, init="data")).W_dec
    check_atoms(W, 30, 12)
    cos = normalize_rows(W) @ normalize_rows(X).T
    rows = cos.argmax(dim=1)
    assert torch.allclose(cos.max(dim=1).values, torch.ones(30), atol=1e-5)
    assert len(set(rows.tolist())) == 30


def test_data_skips_zero_samples_and_needs_enough():
    x = X.clone()
    x[::2] = 0
    W = initialize(request_for(x, 200, init="data")).W_dec
    check_atoms(W, 200, 12)
    with pytest.raises(ConfigError) as err:
        initialize(request_for(x, 201, init="data"))
    assert err.value.option == "init-samples"


def test_svd_of_one_sample_gives_its_singular_vectors_oriented_to_the_data():
    W = initialize(request_for(X, 5, init="svd")).W_dec
    check_atoms(W, 5, 12)
    _, _, vt = np.linalg.svd(X.double().numpy(), full_matrices=False)
    assert np.allclose(np.abs(W.double().numpy() @ vt[:5].T), np.eye(5), atol=1e-4)
    assert ((X @ W.T).mean(dim=0) >= 0).all()


def test_svd_blocks_fill_n_above_d_with_singular_vectors_of_disjoint_samples():
    W = initialize(request_for(X, 30, init="svd", init_samples=300)).W_dec
    check_atoms(W, 30, 12)
    for block, atoms in zip(torch.tensor_split(X[:300], 3), W.split(12), strict=True):
        _, _, vt = np.linalg.svd(block.double().numpy(), full_matrices=False)
        k = len(atoms)
        assert np.allclose(np.abs(atoms.double().numpy() @ vt[:k].T), np.eye(k), atol=1e-4)
    assert (W[:12] - W[12:24]).abs().max() > 0.1  # the blocks differ


def test_svd_data_fill_appends_data_samples():
    W = initialize(request_for(X, 30, init="svd", svd_fill="data")).W_dec
    check_atoms(W, 30, 12)
    assert torch.allclose(W[:12] @ W[:12].T, torch.eye(12), atol=1e-4)
    assert torch.allclose(max_cos(W[12:], X), torch.ones(18), atol=1e-5)


def test_svd_signed_gives_both_signs_of_each_vector():
    W = initialize(request_for(X, 30, init="svd", svd_fill="signed")).W_dec
    check_atoms(W, 30, 12)
    assert torch.allclose(W[12:24], -W[:12])
    assert torch.allclose(W[:12] @ W[:12].T, torch.eye(12), atol=1e-4)


def test_svd_refuses_blocks_without_enough_directions():
    flat = torch.randn(400, 3, generator=torch.Generator().manual_seed(2)) @ torch.randn(
        3, 12, generator=torch.Generator().manual_seed(3)
    )
    with pytest.raises(ConfigError) as err:
        initialize(request_for(flat, 4, init="svd"))
    assert err.value.option == "svd-fill" and "--svd-fill data" in err.value.message
    with pytest.raises(ConfigError) as err:  # 3 blocks of 6 or 7 samples: 20 directions < 30
        initialize(request_for(X, 30, init="svd", init_samples=20))
    assert err.value.option == "init-samples"


def test_init_sample_with_nan_is_refused():
    x = X.clone()
    x[3, 4] = float("nan")
    for init in ("data", "svd"):
        with pytest.raises(ConfigError) as err:
            initialize(request_for(x, 8, init=init))
        assert err.value.option == "init-samples"


@pytest.mark.parametrize("init", ["data", "svd"])
def test_seeds_make_data_inits_reproducible(init):
    toy = ToyData(ToyConfig(dim=8, features=16))

    def atoms(seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        request = InitRequest(16, 8, generator, toy.sampler(seed), InitConfig(init=init))
        return initialize(request).W_dec

    assert torch.equal(atoms(0), atoms(0))
    assert not torch.allclose(atoms(0), atoms(1))
