import numpy as np
import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data import ArrayDataset, ToyConfig, ToyData, load_npz, save_npz


def test_epochs_are_shuffled_permutations_of_the_data():
    x = torch.arange(20.0).reshape(10, 2)
    epochs = ArrayDataset(x).epochs(seed=0)
    first, second = next(epochs), next(epochs)
    for epoch in (first, second):
        assert sorted(epoch[:, 0].tolist()) == x[:, 0].tolist()
    assert not torch.equal(first, second)


def test_sampler_draws_distinct_rows():
    x = torch.arange(20.0).reshape(10, 2)
    rows = ArrayDataset(x).sampler(seed=0)(6)
    assert len(set(rows[:, 0].tolist())) == 6
    assert len(ArrayDataset(x).sampler(seed=0)(100)) == 10


def test_npz_round_trip(tmp_path):
    toy = ToyData(ToyConfig(dim=4, features=6))
    batch = toy.sample(50, torch.Generator().manual_seed(0))
    save_npz(tmp_path / "d.npz", batch.x, batch.coefficients, toy.features)
    loaded = load_npz(tmp_path / "d.npz")
    assert torch.equal(loaded.x, batch.x)
    assert torch.equal(loaded.features, toy.features)


def test_npz_without_features_and_bad_files(tmp_path):
    np.savez(tmp_path / "x_only.npz", x=np.ones((5, 3)))
    assert load_npz(tmp_path / "x_only.npz").features is None
    np.savez(tmp_path / "no_x.npz", y=np.ones((5, 3)))
    with pytest.raises(ConfigError, match="no array named 'x'"):
        load_npz(tmp_path / "no_x.npz")
    np.savez(tmp_path / "nan.npz", x=np.full((5, 3), np.nan))
    with pytest.raises(ConfigError, match="NaN"):
        load_npz(tmp_path / "nan.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(ConfigError, match="cannot read"):
        load_npz(tmp_path / "junk.npz")
