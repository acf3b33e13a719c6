"""A fixed dataset held in memory, iterated in shuffled epochs, and its .npz file format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from saeinit.config import ConfigError
from saeinit.seeding import torch_generator


class ArrayDataset:
    """N samples of dimension d, with the ground-truth features when they are known."""

    def __init__(self, x: torch.Tensor, features: torch.Tensor | None = None):
        if x.ndim != 2 or len(x) == 0:
            raise ConfigError(
                "data", f"x must be a non-empty 2-D array (N x d), got {tuple(x.shape)}"
            )
        if not torch.isfinite(x).all():
            raise ConfigError("data", "x contains NaN or inf")
        if features is not None and (features.ndim != 2 or features.shape[1] != x.shape[1]):
            raise ConfigError(
                "data", f"features must be G x {x.shape[1]}, got {tuple(features.shape)}"
            )
        self.x = x.float()
        self.features = None if features is None else features.float()

    def to(self, device: torch.device | str) -> ArrayDataset:
        features = None if self.features is None else self.features.to(device)
        return ArrayDataset(self.x.to(device), features)

    @property
    def dim(self) -> int:
        return self.x.shape[1]

    def epochs(self, seed: int) -> Iterator[torch.Tensor]:
        """An endless iterator of epochs: the whole dataset in a fresh random order each time."""
        g = torch_generator(seed, "train")
        while True:
            yield self.x[torch.randperm(len(self.x), generator=g).to(self.x.device)]

    def sampler(self, seed: int, stream: str = "init"):
        """A function n -> [n, d] of distinct random rows (all rows when n >= N)."""
        g = torch_generator(seed, stream)

        def draw(n: int) -> torch.Tensor:
            return self.x[torch.randperm(len(self.x), generator=g)[:n].to(self.x.device)]

        return draw


def save_npz(
    path: Path, x: torch.Tensor, coefficients: torch.Tensor, features: torch.Tensor
) -> None:
    """Write a toy dataset: x [N, d], coefficients [N, G], features [G, d]."""
    np.savez_compressed(
        path, x=x.numpy(), coefficients=coefficients.numpy(), features=features.numpy()
    )


def load_npz(path: Path) -> ArrayDataset:
    """Read a dataset made here or elsewhere: `x` is required, `features` optional."""
    try:
        with np.load(path) as arrays:
            if "x" not in arrays:
                raise ConfigError("data", f"{path} has no array named 'x' (found {list(arrays)})")
            x = torch.from_numpy(arrays["x"].astype(np.float32))
            features = arrays.get("features")
    except (OSError, ValueError) as err:
        if isinstance(err, ConfigError):
            raise
        raise ConfigError("data", f"cannot read {path} as .npz: {err}") from err
    return ArrayDataset(
        x, None if features is None else torch.from_numpy(features.astype(np.float32))
    )
