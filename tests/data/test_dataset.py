import struct
import warnings
import zipfile

import numpy as np
import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data import ArrayDataset, ToyConfig, ToyData, load_npz, save_npz
from saeinit.data.limits import MAX_SQUARED_NORM
from saeinit.seeding import torch_generator

X = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)
"""Ordinary data: any damage below is the file's or the arrays', never x's."""


def good_npz(path):
    np.savez_compressed(path, x=X)
    return path.read_bytes()


def test_batches_cut_fresh_shuffled_epochs_and_never_straddle_two():
    x = torch.arange(20.0).reshape(10, 2)
    batches = ArrayDataset(x).batches(batch_size=4, seed=0)
    assert batches.dataset_size == 10
    drawn = [next(batches) for _ in range(6)]
    # 10 rows in batches of 4: 4, 4 and the 2 left, then the next epoch
    assert [len(batch) for batch in drawn] == [4, 4, 2, 4, 4, 2]
    first, second = torch.cat(drawn[:3]), torch.cat(drawn[3:])
    for epoch in (first, second):
        assert sorted(epoch[:, 0].tolist()) == x[:, 0].tolist()  # every row once per epoch
    assert not torch.equal(first, second)  # a fresh permutation each epoch
    # the same seeded stream as before: one permutation of the "train" stream per epoch
    g = torch_generator(0, "train")
    assert torch.equal(first, x[torch.randperm(10, generator=g)])
    assert torch.equal(second, x[torch.randperm(10, generator=g)])


def test_batches_are_reproducible_and_a_batch_above_the_size_is_the_whole_epoch():
    x = torch.arange(20.0).reshape(10, 2)
    again = ArrayDataset(x).batches(batch_size=3, seed=5)
    once = ArrayDataset(x).batches(batch_size=3, seed=5)
    assert all(torch.equal(next(once), next(again)) for _ in range(9))
    whole = ArrayDataset(x).batches(batch_size=64, seed=0)
    first, second = next(whole), next(whole)
    assert len(first) == len(second) == 10 and not torch.equal(first, second)


def test_sampler_draws_distinct_rows():
    x = torch.arange(20.0).reshape(10, 2)
    rows = ArrayDataset(x).sampler(seed=0)(6)
    assert len(set(rows[:, 0].tolist())) == 6
    assert len(ArrayDataset(x).sampler(seed=0)(100)) == 10


def test_npz_round_trip(tmp_path):
    toy = ToyData(ToyConfig(dim=4, features=6))
    batch = toy.sample(50, torch.Generator().manual_seed(0))
    save_npz(tmp_path / "d.npz", batch.x, batch.coefficients, toy.features, 25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a file that records its draw loads without a warning
        loaded = load_npz(tmp_path / "d.npz")
    assert torch.equal(loaded.x, batch.x)
    assert torch.equal(loaded.features, toy.features)
    assert int(np.load(tmp_path / "d.npz")["draw_batch_size"]) == 25


def test_a_toy_file_that_does_not_record_its_draw_warns(tmp_path):
    x, coefficients = np.random.default_rng(0).random((2, 50, 4))
    np.savez(tmp_path / "old.npz", x=x, coefficients=coefficients, features=np.eye(4))
    with pytest.warns(UserWarning, match="old.npz looks like a toy dataset from `saeinit data`"):
        assert len(load_npz(tmp_path / "old.npz").x) == 50


def test_npz_without_features_and_bad_files(tmp_path):
    np.savez(tmp_path / "x_only.npz", x=np.arange(15.0).reshape(5, 3))
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


def truncated(path):
    path.write_bytes(good_npz(path)[:200])


def bad_crc(path):
    data = bytearray(good_npz(path))
    data[-200] ^= 0xFF  # inside the compressed member, which then fails its CRC check
    path.write_bytes(bytes(data))


def bad_deflate(path):
    data = bytearray(good_npz(path))
    name_length, extra_length = struct.unpack("<HH", data[26:30])
    data[30 + name_length + extra_length] = 0xFF  # the first deflate block: an invalid type
    path.write_bytes(bytes(data))


def npy_renamed(path):
    np.save(path.with_suffix(".npy"), X)
    path.with_suffix(".npy").rename(path)


def text_renamed(path):
    path.write_text("x,y\n1,2\n")


def member_not_npy(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x", "hello")


@pytest.mark.parametrize(
    "damage,expected",
    [
        (truncated, "damaged .npz file"),
        (bad_crc, "damaged .npz file"),
        (bad_deflate, "damaged .npz file"),
        (npy_renamed, "single .npy array, not an .npz file"),
        (lambda path: path.write_bytes(b""), "empty"),
        (text_renamed, "not an .npz file"),
        (lambda path: np.savez(path, x=np.array([{"a": 1}])), "Python objects"),
        (lambda path: np.savez(path, x=np.array([["a", "b"]])), "expected real numbers"),
        (lambda path: np.savez(path, x=X + 1j), "expected real numbers"),
        (member_not_npy, "not a .npy array"),
        (lambda path: np.savez(path, x=X, features=np.full((3, 4), np.nan)), "features .*NaN"),
        (lambda path: np.savez(path, x=X, features=np.ones((3, 5))), "features must be G x 4"),
        (lambda path: np.savez(path, x=X, features=np.zeros((0, 4))), "G >= 1"),
        (
            lambda path: np.savez(path, x=X, features=np.eye(4)[[0, 3, 3]] * [[1], [0], [1]]),
            "norm 0",
        ),
        (lambda path: np.savez(path, x=np.ones((5, 0))), r"d >= 1\), got \(5, 0\)"),
        (lambda path: np.savez(path, x=np.ones(5)), r"got \(5,\)"),
    ],
    ids=[
        "truncated",
        "bad-crc",
        "bad-deflate",
        "npy-renamed",
        "empty",
        "text-renamed",
        "pickled",
        "strings",
        "complex",
        "member-not-npy",
        "nan-features",
        "features-width",
        "no-features",
        "zero-feature",
        "width-0",
        "1-d",
    ],
)
def test_damaged_npz_is_one_config_error_naming_the_file(tmp_path, damage, expected):
    path = tmp_path / "damaged.npz"
    damage(path)
    with pytest.raises(ConfigError, match=expected) as err:
        load_npz(path)
    assert err.value.option == "data" and str(path) in err.value.message
    assert "\n" not in str(err.value) and "allow_pickle" not in str(err.value)


@pytest.mark.parametrize(
    "x,expected",
    [
        (np.zeros((20, 4)), "all zeros"),
        (X[:1], "single row"),
        (np.tile(X[:1], (20, 1)), "rows of x is the same"),
        (X * 1e-25, "variance underflows float32"),
        (X * 1e17, "squared norms above"),
        (X.astype(np.float64) * 1e300, "beyond float32's range"),
        (np.where(X > 1, np.inf, X), "NaN or inf"),
    ],
    ids=["all-zero", "one-row", "no-variance", "underflow", "overflow", "beyond-float32", "inf"],
)
def test_degenerate_data_is_refused(tmp_path, x, expected):
    np.savez(tmp_path / "d.npz", x=x)
    with pytest.raises(ConfigError, match=expected) as err:
        load_npz(tmp_path / "d.npz")
    assert err.value.option == "data" and str(tmp_path / "d.npz") in err.value.message
    with pytest.raises(ConfigError, match=expected):
        ArrayDataset(torch.from_numpy(x))


def test_data_at_the_norm_bound_is_kept_and_its_squared_sums_stay_finite():
    x = torch.from_numpy(X)
    x = x / x.norm(dim=1).max() * 0.99 * MAX_SQUARED_NORM**0.5
    dataset = ArrayDataset(x)
    assert torch.isfinite(dataset.x.repeat(1 << 10, 1).pow(2).sum())
    assert ArrayDataset(torch.tensor([[0.0, 1.0], [0.0, 2.0]])).dim == 2  # a constant column
    assert ArrayDataset(torch.from_numpy(X).double()).x.dtype == torch.float32
    integers = ArrayDataset(torch.arange(6).reshape(3, 2))
    assert integers.x.dtype == torch.float32 and integers.to("cpu").x is not None
