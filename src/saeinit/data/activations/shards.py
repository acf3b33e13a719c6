"""A collection on disk: checksummed safetensors shards and a manifest, and reading them back.

Each shard is written to a temporary name and renamed once complete, and the manifest is
rewritten atomically, so that a folder never holds half a shard. `ActivationStore` checks the
manifest and every shard's size, checksum, header and width before anything trains on it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from saeinit.config import ConfigError

FORMAT = "saeinit-activations-1"
MANIFEST = "manifest.json"
TENSOR = "activations"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: Path, value: dict) -> None:
    """Write JSON to a temporary name, then rename it over `path`."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2))
    os.replace(tmp, path)


def write_shard(folder: Path, index: int, rows: torch.Tensor, dtype: str) -> dict:
    """Write rows as shard `index` (by a rename once complete); its manifest entry."""
    name = f"shard_{index:05d}.safetensors"
    tmp = folder / (name + ".tmp")
    save_file({TENSOR: rows.to(getattr(torch, dtype)).contiguous()}, tmp)
    entry = {
        "file": name,
        "rows": len(rows),
        "bytes": tmp.stat().st_size,
        "sha256": file_sha256(tmp),
    }
    os.replace(tmp, folder / name)
    return entry


def read_manifest(folder: Path, option: str = "activations") -> dict:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise ConfigError(
            option, f"{folder} has no {MANIFEST}: not a folder written by `saeinit collect`"
        ) from err
    except (OSError, json.JSONDecodeError) as err:
        raise ConfigError(option, f"{path} is damaged: {err}") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise ConfigError(option, f"{path} has format {found!r}, expected {FORMAT!r}")
    return manifest


def check_shard(folder: Path, entry: dict, width: int, verify: bool, option: str) -> None:
    """Raise a ConfigError naming the shard if it is missing, corrupt or of the wrong width."""
    path = folder / entry["file"]
    if not path.exists():
        raise ConfigError(option, f"shard {path} is missing")
    size = path.stat().st_size
    if size != entry["bytes"]:
        raise ConfigError(
            option,
            f"shard {path} is corrupt: {size} bytes, the manifest says {entry['bytes']}",
        )
    try:
        with safe_open(path, framework="pt") as handle:
            shape = handle.get_slice(TENSOR).get_shape()
    except (SafetensorError, OSError, KeyError, ValueError) as err:
        raise ConfigError(option, f"shard {path} is corrupt: {err}") from err
    if len(shape) != 2:
        raise ConfigError(option, f"shard {path} is corrupt: shape {shape}, expected rows x width")
    if shape[1] != width:
        raise ConfigError(
            option,
            f"shard {path} has width {shape[1]} but the collection's width is {width}: shards "
            "of mixed width cannot be used together",
        )
    if shape[0] != entry["rows"]:
        raise ConfigError(
            option, f"shard {path} has {shape[0]} rows, the manifest says {entry['rows']}"
        )
    if verify and file_sha256(path) != entry["sha256"]:
        raise ConfigError(
            option, f"shard {path} is corrupt: its checksum differs from the manifest's"
        )


class ActivationStore:
    """A checked, read-only view of a collection: rows are numbered 0..count-1 across shards."""

    def __init__(self, folder: Path | str, verify: bool = True, option: str = "activations"):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ConfigError(
                option, f"{folder} is not a folder of activations (made by `saeinit collect`)"
            )
        self.manifest = read_manifest(self.folder, option)
        try:
            self.dim = int(self.manifest["d_in"])
            self.complete = bool(self.manifest["complete"])
            self.shards = list(self.manifest["shards"])
            if not self.shards:
                raise ConfigError(option, f"{folder} holds no activations yet")
            for entry in self.shards:
                check_shard(self.folder, entry, self.dim, verify, option)
        except (KeyError, TypeError) as err:
            raise ConfigError(option, f"{self.folder / MANIFEST} is damaged: {err!r}") from err
        self.offsets = [0]
        for entry in self.shards:
            self.offsets.append(self.offsets[-1] + entry["rows"])
        self.count = self.offsets[-1]
        if self.count != self.manifest["count"]:
            raise ConfigError(
                option,
                f"{folder}: the shards hold {self.count} rows, the manifest says "
                f"{self.manifest['count']}",
            )

    def read(self, shard: int, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Rows start..stop of one shard, as float32."""
        with safe_open(self.folder / self.shards[shard]["file"], framework="pt") as handle:
            return handle.get_slice(TENSOR)[start:stop].float()

    def rows(self, start: int, stop: int) -> torch.Tensor:
        """Global rows start..stop (across shards)."""
        parts = []
        for shard in range(len(self.shards)):
            low, high = self.offsets[shard], self.offsets[shard + 1]
            if high <= start or low >= stop:
                continue
            parts.append(self.read(shard, max(start, low) - low, min(stop, high) - low))
        return torch.cat(parts) if parts else torch.empty(0, self.dim)

    def take(self, indices: torch.Tensor) -> torch.Tensor:
        """The rows at these global indices, in the order given (reads shard by shard)."""
        order = torch.argsort(indices)
        ordered = indices[order]
        out = torch.empty(len(indices), self.dim)
        bounds = torch.tensor(self.offsets)
        shard_of = torch.bucketize(ordered, bounds[1:], right=True)
        for shard in shard_of.unique().tolist():
            chosen = (shard_of == shard).nonzero().squeeze(1)
            local = ordered[chosen] - self.offsets[shard]
            low, high = int(local.min()), int(local.max()) + 1
            out[order[chosen]] = self.read(shard, low, high)[local - low]
        return out

    def info(self) -> dict:
        """What a result records about the data it trained on."""
        manifest = self.manifest
        return {
            "folder": str(self.folder),
            "model": manifest["model"]["name"],
            "hook_name": manifest["hook_name"],
            "d_in": self.dim,
            "count": self.count,
            "complete": self.complete,
            "corpus": manifest["corpus"]["name"],
            "context_size": manifest["tokenizer"]["context_size"],
        }


def holdout_size(count: int, eval_samples: int) -> int:
    """The evaluation sample is the collection's last tokens: eval_samples, at most a tenth."""
    return max(1, min(eval_samples, count // 10))
