"""Chunked computation (`chunks.py`): the same numbers in tiny chunks as in whole ones, and no
samples x atoms matrix larger than a chunk."""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import saeinit.inits.chunks as chunks
import saeinit.inits.pursuit as pursuit
import saeinit.inits.screening as screening
from saeinit.data import ToyConfig, ToyData
from saeinit.inits import InitConfig, InitRequest, initialize
from saeinit.inits.chunks import row_chunks
from saeinit.inits.dictlearn import duplicates
from saeinit.inits.encoder import fitted_encoder
from saeinit.inits.kmeans import torch_kmeans

SAMPLES = 2048
X = ToyData(ToyConfig(dim=16, features=600, mean_active=3.0)).sampler(0)(SAMPLES)


def results(n_atoms: int, **options) -> list[torch.Tensor]:
    """mod's atoms (two rounds) from the toy sample X, the fitted encoder over them, their
    duplicate mask and a torch k-means of X: everything that works in chunks."""
    config = InitConfig(init="mod", init_samples=SAMPLES, mod_iters=2, omp_k=3, **options)
    request = InitRequest(n_atoms, 16, torch.Generator().manual_seed(0), lambda n: X[:n], config)
    atoms = initialize(request).W_dec
    encoder = fitted_encoder(atoms, X, 3, config.omp_candidates)
    clusters = torch_kmeans(X, 40, torch.Generator().manual_seed(1))
    return [atoms, *encoder, duplicates(atoms), *clusters]


def test_row_chunks_cover_the_rows_within_the_budget(monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK_ENTRIES", 1000 * 300)
    x = torch.arange(5000.0).unsqueeze(1)
    parts = row_chunks(x, 1000)
    assert torch.equal(torch.cat(parts), x)
    assert all(150 < len(part) <= 300 for part in parts)  # nearly equal
    floor = row_chunks(x, 10**9)  # past the budget, MIN_ROWS rows at most, half at least
    assert all(chunks.MIN_ROWS / 2 < len(part) <= chunks.MIN_ROWS for part in floor)
    assert [len(part) for part in row_chunks(x[:10], 1000)] == [10]


def test_chunks_off_the_cpu_take_the_device_budget(monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK_ENTRIES", 1000 * 300)
    monkeypatch.setattr(chunks, "DEVICE_CHUNK_ENTRIES", 1000 * 1000)
    elsewhere = row_chunks(torch.empty(5000, 1, device="meta"), 1000)
    assert sum(len(part) for part in elsewhere) == 5000
    assert all(500 < len(part) <= 1000 for part in elsewhere)


@pytest.mark.parametrize(
    "n_atoms,candidates",
    [(64, 0), (64, 8), (600, 8)],
    ids=["whole-search", "whole-in-gram", "screened"],
)
def test_tiny_chunks_give_the_same_numbers(n_atoms, candidates, monkeypatch):
    """Chunks of MIN_ROWS rows (and screened parts of one row) against one chunk of the whole
    sample."""
    whole = results(n_atoms, omp_candidates=candidates)
    monkeypatch.setattr(chunks, "CHUNK_ENTRIES", 1)
    monkeypatch.setattr(screening, "GATHERED_ENTRIES", 1)
    chunked = results(n_atoms, omp_candidates=candidates)
    assert len(row_chunks(torch.empty(SAMPLES, 1), n_atoms)) == SAMPLES // chunks.MIN_ROWS
    assert all(torch.equal(a, b) for a, b in zip(whole, chunked, strict=True))


class LargestTensor(TorchDispatchMode):
    """Records the most entries of any tensor an operation returns."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for tensor in torch.utils._pytree.tree_leaves(out):
            if isinstance(tensor, torch.Tensor):
                self.largest = max(self.largest, tensor.numel())
        return out


@pytest.mark.parametrize("candidates", [0, 8], ids=["whole-search", "screened"])
def test_nothing_holds_a_samples_x_atoms_matrix(candidates, monkeypatch):
    """With chunks of MIN_ROWS rows, no operation of mod, the fitted encoder, the duplicate
    search or k-means returns more entries than a chunk of the 2,048 x 600 correlations (or
    than the sample and the dictionary themselves): an eighth of the whole matrix."""
    monkeypatch.setattr(chunks, "CHUNK_ENTRIES", 1)
    monkeypatch.setattr(pursuit, "SEARCH_WHOLE", 0)
    with LargestTensor() as mode:
        results(600, omp_candidates=candidates)
    assert SAMPLES * 600 / mode.largest >= 8
