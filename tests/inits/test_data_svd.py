"""The `data` and `svd` inits, on small fixed samples (test_contracts.py checks what every init
shares: atom shape and norm, non-finite samples, seeds, bad options)."""

import numpy as np
import pytest
import torch

from saeinit.config import ConfigError
from saeinit.inits import initialize
from saeinit.inits.svd import block_directions

X = torch.randn(400, 12, generator=torch.Generator().manual_seed(1)) + 0.5


def test_data_atoms_are_distinct_samples(request_for, cos):
    W = initialize(request_for(X, 30, init="data")).W_dec
    similarity = cos(W, X)
    assert torch.allclose(similarity.max(dim=1).values, torch.ones(30), atol=1e-5)
    assert len(set(similarity.argmax(dim=1).tolist())) == 30


def test_data_skips_zero_samples_and_needs_enough(request_for):
    x = X.clone()
    x[::2] = 0
    W = initialize(request_for(x, 200, init="data")).W_dec
    assert torch.allclose(W.norm(dim=1), torch.ones(200), atol=1e-5)
    with pytest.raises(ConfigError) as err:
        initialize(request_for(x, 201, init="data"))
    assert err.value.option == "init-samples"


def test_svd_of_one_sample_gives_its_singular_vectors_oriented_to_the_data(request_for):
    W = initialize(request_for(X, 5, init="svd")).W_dec
    _, _, vt = np.linalg.svd(X.double().numpy(), full_matrices=False)
    assert np.allclose(np.abs(W.double().numpy() @ vt[:5].T), np.eye(5), atol=1e-4)
    assert ((X @ W.T).mean(dim=0) >= 0).all()


def test_svd_blocks_fill_n_above_d_with_singular_vectors_of_disjoint_samples(request_for):
    W = initialize(request_for(X, 30, init="svd", init_samples=300)).W_dec
    for block, atoms in zip(torch.tensor_split(X[:300], 3), W.split(12), strict=True):
        _, _, vt = np.linalg.svd(block.double().numpy(), full_matrices=False)
        k = len(atoms)
        assert np.allclose(np.abs(atoms.double().numpy() @ vt[:k].T), np.eye(k), atol=1e-4)
    assert (W[:12] - W[12:24]).abs().max() > 0.1  # the blocks differ


def test_svd_data_fill_appends_data_samples(request_for, cos):
    W = initialize(request_for(X, 30, init="svd", svd_fill="data")).W_dec
    assert torch.allclose(W[:12] @ W[:12].T, torch.eye(12), atol=1e-4)
    assert torch.allclose(cos(W[12:], X).max(dim=1).values, torch.ones(18), atol=1e-5)


def test_svd_signed_gives_both_signs_of_each_vector(request_for):
    W = initialize(request_for(X, 30, init="svd", svd_fill="signed")).W_dec
    assert torch.allclose(W[12:24], -W[:12])
    assert torch.allclose(W[:12] @ W[:12].T, torch.eye(12), atol=1e-4)


def test_svd_refuses_blocks_without_enough_directions(request_for):
    flat = torch.randn(400, 3, generator=torch.Generator().manual_seed(2)) @ torch.randn(
        3, 12, generator=torch.Generator().manual_seed(3)
    )
    with pytest.raises(ConfigError) as err:
        initialize(request_for(flat, 4, init="svd"))
    assert err.value.option == "svd-fill" and "--svd-fill data" in err.value.message
    with pytest.raises(ConfigError) as err:  # 3 blocks of 6 or 7 samples: 20 directions < 30
        initialize(request_for(X, 30, init="svd", init_samples=20))
    assert err.value.option == "init-samples"


def test_svd_blocks_report_every_tenth_of_the_blocks_and_the_last():
    # 25 blocks of 4 dimensions: a line every ceil(25 / 10) = 3 blocks, and one for the 25th.
    sample = torch.randn(25 * 8, 4, generator=torch.Generator().manual_seed(0))
    stages = []
    atoms = block_directions(sample, 100, 4, signed=False, report=stages.append)
    assert atoms.shape == (100, 4)
    assert stages == [f"block {done}/25" for done in (3, 6, 9, 12, 15, 18, 21, 24, 25)]
