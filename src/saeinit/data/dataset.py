"""A fixed dataset held in memory, iterated in batches of shuffled epochs, and its .npz file
format."""

from __future__ import annotations

import copy
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch

from saeinit.config import ConfigError
from saeinit.data.limits import MAX_SQUARED_NORM
from saeinit.seeding import torch_generator
from saeinit.tensors import all_finite

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
"""How a zip archive starts (a member, or an empty archive): an .npz file is a zip of .npy files."""
NPY_MAGIC = b"\x93NUMPY"
TORCH_DTYPES = (np.float16, np.float32, np.float64)
"""Dtypes handed to torch as they are; other real dtypes (integers, booleans) become float64."""
DAMAGED = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError)
"""What numpy and zipfile raise on a damaged archive: a truncated or corrupt zip, a member that
does not inflate, a short read, an encrypted member, a compression method not supported."""
DRAW_MEMBER = "draw_batch_size"
"""The member of a toy dataset file that records the batch size it was drawn in (one copula draw
per batch, as training draws them). Files `saeinit data` wrote before it existed (2026-12-01)
drew every sample with one copula draw: loading a toy file without it warns."""
CHUNK_ROWS = 1 << 16
VARIANCE_ROWS = 1 << 12
"""Rows a dataset's variance check reads at a time: a block that stays in cache, since whole
samples' float64 copies and squared differences cost several times more."""


class ArrayDataset:
    """N samples of dimension d, with the ground-truth features when they are known.

    Data an SAE cannot learn from is refused with a ConfigError naming `data`: fewer than two
    rows, width 0, NaN or inf, values beyond float32, squared norms above MAX_SQUARED_NORM, all
    zeros, or no variance (every row the same)."""

    def __init__(
        self, x: torch.Tensor, features: torch.Tensor | None = None, features_from: str = "data"
    ):
        """`features_from`: the option or argument the features came by, which their errors
        name (with x, in one .npz file: `data`)."""
        self.x = _checked_x(x)
        if features is not None:
            features = _checked_features(features, x.shape[1], features_from)
        self.features = features

    def to(self, device: torch.device | str) -> ArrayDataset:
        moved = copy.copy(self)  # checked already
        moved.x = self.x.to(device)
        moved.features = None if self.features is None else self.features.to(device)
        return moved

    @property
    def dim(self) -> int:
        return self.x.shape[1]

    def batches(self, batch_size: int, seed: int) -> Batches:
        """An endless iterator of training batches (see `Batches`)."""
        return Batches(self.x, batch_size, torch_generator(seed, "train"))

    def sampler(self, seed: int, stream: str = "init"):
        """A function n -> [n, d] of distinct random rows (all rows when n >= N)."""
        g = torch_generator(seed, stream)

        def draw(n: int) -> torch.Tensor:
            return self.x[torch.randperm(len(self.x), generator=g)[:n].to(self.x.device)]

        return draw


class Batches:
    """Batches of `batch_size` rows from shuffled epochs: each epoch is the whole dataset in a
    fresh random order (one permutation per epoch, from `generator`) cut into consecutive
    batches, as PyTorch's DataLoader does with shuffle=True and drop_last=False. Batches never
    straddle two epochs: when N is not a multiple of the batch size, an epoch's last batch holds
    the N mod batch_size rows left (a batch size above N gives one batch of all N rows per
    epoch). So every sample is seen once per epoch, and `samples / dataset_size` is a whole
    number of epochs at the end of each one."""

    def __init__(self, x: torch.Tensor, batch_size: int, generator: torch.Generator):
        self.x, self.batch_size, self.generator = x, batch_size, generator
        self.order = torch.empty(0, dtype=torch.long, device=x.device)
        self.next_row = 0

    @property
    def dataset_size(self) -> int:
        return len(self.x)

    def __iter__(self) -> Batches:
        return self

    def __next__(self) -> torch.Tensor:
        if self.next_row >= len(self.order):
            self.order = torch.randperm(len(self.x), generator=self.generator).to(self.x.device)
            self.next_row = 0
        rows = self.order[self.next_row : self.next_row + self.batch_size]
        self.next_row += len(rows)
        return self.x[rows]


def _finite_float32(name: str, values: torch.Tensor, option: str = "data") -> torch.Tensor:
    """`values` as float32, refused if they hold NaN or inf or overflow float32 (a ConfigError
    naming `option`)."""
    if values.is_complex():
        raise ConfigError(option, f"{name} is complex; expected real numbers")
    if not values.is_floating_point():
        values = values.double()
    if not all_finite(values):
        finite = torch.isfinite(values)
        nan = int(torch.isnan(values).sum())
        raise ConfigError(
            option, f"{name} contains NaN or inf ({nan} NaN, {int((~finite).sum()) - nan} inf)"
        )
    as_float = values.float()
    if not all_finite(as_float):
        peak = values.abs().max().item()
        raise ConfigError(
            option, f"{name} holds values beyond float32's range (up to {peak:.3g}); rescale it"
        )
    return as_float


def _checked_x(x: torch.Tensor) -> torch.Tensor:
    if x.ndim != 2 or len(x) == 0 or x.shape[1] == 0:
        raise ConfigError(
            "data", f"x must be a non-empty 2-D array (N x d, d >= 1), got {tuple(x.shape)}"
        )
    x = _finite_float32("x", x)
    if len(x) == 1:
        raise ConfigError("data", "x has a single row: an SAE cannot learn from one sample")
    low, high = torch.aminmax(x)
    peak = max(-low.item(), high.item())
    if peak == 0:
        raise ConfigError("data", f"x is all zeros ({len(x)} x {x.shape[1]}): nothing to learn")
    if peak * peak * x.shape[1] > MAX_SQUARED_NORM:  # the bound cannot rule out an overflow
        largest = max((chunk / peak).norm(dim=1).max().item() for chunk in x.split(CHUNK_ROWS))
        if (largest * peak) ** 2 > MAX_SQUARED_NORM:
            raise ConfigError(
                "data",
                f"x has rows of norm up to {largest * peak:.3g}: squared norms above "
                f"{MAX_SQUARED_NORM:.2g} can overflow float32 (3.4e38) once summed over "
                "batches; rescale it",
            )
    if _total_variance(x) == 0:
        if bool((x == x[0]).all()):
            raise ConfigError(
                "data", f"every one of the {len(x)} rows of x is the same: x has no variance"
            )
        raise ConfigError(
            "data",
            f"x's variance underflows float32 (values up to {peak:.3g}): rescale it",
        )
    return x


def _total_variance(x: torch.Tensor) -> float:
    """Sum over rows of ||x - mean||^2, with each square in float32 as training computes it and
    the mean summed in float64 (so rows that are all the same give exactly 0)."""
    blocks = x.split(VARIANCE_ROWS)
    mean = (sum(block.double().sum(dim=0) for block in blocks) / len(x)).float()
    return sum((block - mean).pow_(2).sum().item() for block in blocks)


def _checked_features(features: torch.Tensor, dim: int, option: str) -> torch.Tensor:
    if features.ndim != 2 or len(features) == 0 or features.shape[1] != dim:
        raise ConfigError(
            option, f"features must be G x {dim} with G >= 1, got {tuple(features.shape)}"
        )
    features = _finite_float32("features", features, option)
    zero = (features.norm(dim=1) == 0).nonzero().squeeze(1).tolist()
    if zero:
        raise ConfigError(
            option,
            f"{len(zero)} of the {len(features)} rows of features have norm 0 (row {zero[0]} "
            "first): a ground-truth feature needs a direction",
        )
    return features


def save_npz(
    path: Path,
    x: torch.Tensor,
    coefficients: torch.Tensor,
    features: torch.Tensor,
    draw_batch_size: int,
) -> None:
    """Write a toy dataset: x [N, d], coefficients [N, G], features [G, d], and the batch size
    it was drawn in (DRAW_MEMBER)."""
    arrays = {"x": x, "coefficients": coefficients, "features": features}
    arrays = {name: values.numpy() for name, values in arrays.items()}
    np.savez_compressed(path, **arrays, **{DRAW_MEMBER: np.array(draw_batch_size)})


def load_npz(path: Path) -> ArrayDataset:
    """Read a dataset made here or elsewhere: `x` is required, `features` optional. Anything
    wrong with the file (not an .npz, damaged, bad arrays) is one ConfigError naming it; pickled
    objects are never loaded."""
    path = Path(path)
    _check_kind(path)
    try:
        with np.load(path, allow_pickle=False) as arrays:
            if "x" not in arrays.files:
                raise ConfigError("data", f"{path} has no array named 'x' (found {arrays.files})")
            x = _member(path, arrays, "x")
            features = _member(path, arrays, "features") if "features" in arrays.files else None
            if "coefficients" in arrays.files and DRAW_MEMBER not in arrays.files:
                warnings.warn(
                    f"{path} looks like a toy dataset from `saeinit data` before 2026-12-01, "
                    "which drew all its samples with one copula draw (one set of feature "
                    "probabilities, unlike training's batches); write it again",
                    stacklevel=2,
                )
    except ConfigError:
        raise
    except DAMAGED as err:
        raise ConfigError(
            "data", f"cannot read {path}: a damaged .npz file ({_error_name(err)}: {err})"
        ) from err
    try:
        return ArrayDataset(x, features)
    except ConfigError as err:
        raise ConfigError("data", f"{path}: {err.message}") from err


def _error_name(err: Exception) -> str:
    """zipfile.BadZipFile, zlib.error, EOFError: where an error comes from, in a few words."""
    kind = type(err)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _check_kind(path: Path) -> None:
    """Refuse, by its first bytes, a file that is not an .npz archive."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(NPY_MAGIC))
    except OSError as err:
        raise ConfigError("data", f"cannot read {path}: {err.strerror or err}") from err
    if not head:
        raise ConfigError("data", f"cannot read {path}: the file is empty (0 bytes)")
    if head.startswith(NPY_MAGIC):
        raise ConfigError(
            "data",
            f"cannot read {path}: it is a single .npy array, not an .npz file; save the data "
            "with numpy.savez(path, x=...)",
        )
    if head[:4] not in ZIP_MAGIC:
        raise ConfigError(
            "data",
            f"cannot read {path}: it is not an .npz file (a zip of .npy arrays, as numpy.savez "
            "writes)",
        )


def _member(path: Path, arrays, name: str) -> torch.Tensor:
    """One array of an open .npz file as a tensor; only real numbers are accepted."""
    try:
        value = arrays[name]
    except ValueError as err:
        if "allow_pickle" not in str(err):
            raise
        raise ConfigError(
            "data",
            f"{path}: {name} holds Python objects (pickled), which are never loaded; save numbers",
        ) from err
    if not isinstance(value, np.ndarray):
        raise ConfigError("data", f"{path}: member {name!r} is not a .npy array")
    if value.dtype.kind not in "biuf":
        raise ConfigError("data", f"{path}: {name} has dtype {value.dtype}; expected real numbers")
    if value.dtype not in TORCH_DTYPES:
        value = value.astype(np.float64)
    return torch.from_numpy(value)
