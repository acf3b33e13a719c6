"""`collect`: run a model over a text corpus and store one layer's activations in shards.

Memory stays bounded: documents are streamed, a few at a time, and rows are written out once a
shard's worth has gathered. The manifest, rewritten after each shard, records how many
documents the stored rows cover, so an interrupted collection resumes where its last shard
ended; a collection is resumed only with the settings that identify it (`saeinit.identity`).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import NamedTuple

import torch
from tqdm.auto import tqdm

from saeinit.config import ConfigError
from saeinit.data.activations.config import CollectConfig
from saeinit.data.activations.hooks import Collector, LoadedModel, load_model
from saeinit.data.activations.shards import (
    FORMAT,
    MANIFEST,
    check_shard,
    read_manifest,
    write_json,
    write_shard,
)
from saeinit.data.corpus import check_corpus, describe, documents
from saeinit.identity import differing, identity


class CollectSummary(NamedTuple):
    manifest: dict
    new_tokens: int
    seconds: float
    resumed: bool
    message: str


def _settings(config: CollectConfig) -> dict:
    """The settings a manifest records: all but how the work runs (threads, progress, device)."""
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
    check_corpus(config.corpus, config.text_field)
    configure_cpu(config.threads)
    loaded = load_model(config.model, config.torch_device())
    collector = Collector(loaded, config)
    if manifest is None:
        manifest = _new_manifest(config, loaded, collector)
    manifest["settings"]["max_tokens"] = config.max_tokens
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / MANIFEST, manifest)
    start = time.perf_counter()
    new = _collect_into(out, manifest, collector, config)
    return CollectSummary(
        manifest, new, time.perf_counter() - start, done > 0, f"{out}: {manifest['count']} tokens"
    )


def _existing(config: CollectConfig, out: Path) -> dict | None:
    """The manifest of a collection in `out` that this config may resume (its shards checked),
    or None if there is none."""
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
    wanted = identity(config)
    names = differing(stored, wanted)
    if names:
        pairs = ", ".join(f"{k} {stored.get(k)!r} (now {wanted[k]!r})" for k in names)
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
            manifest["shards"].append(write_shard(out, len(manifest["shards"]), rows, config.dtype))
            manifest["count"] += len(rows)
        manifest["sequences"] += pending_sequences
        manifest["documents_done"] = docs_in_windows
        manifest["complete"] = final
        manifest["truncated"] = truncated
        manifest["exhausted"] = exhausted
        write_json(out / MANIFEST, manifest)
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
