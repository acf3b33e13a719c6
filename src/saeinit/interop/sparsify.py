"""EleutherAI sparsify's on-disk layout, written without sparsify installed.

`SparseCoder.save_to_disk` writes a folder with `cfg.json` (the fields of its
SparseCoderConfig, and d_in) and `sae.safetensors` (the module's state dict: encoder.weight
[d_sae, d_in], encoder.bias [d_sae], W_dec [d_sae, d_in], b_dec [d_in]), and
`SparseCoder.load_from_disk` reads it back. A SparseCoder is a TopK SAE: ReLU, then the k
largest latents of each sample, with b_dec subtracted from the input. Of the architectures here
only topk computes that; relu (an L1 penalty, every positive latent kept), jumprelu and
batchtopk (thresholds) choose their latents otherwise, so they are not written in this layout.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import save_file

from saeinit.config import ConfigError
from saeinit.interop.weights import InitialWeights
from saeinit.models.io import CONFIG_FILE
from saeinit.models.io import SPARSIFY_WEIGHTS_FILE as WEIGHTS_FILE

ARCHITECTURE = "topk"
"""The one architecture whose SAEs are sparsify SparseCoders."""


def check_architecture(architecture: str) -> None:
    """Refuse, naming --format, an architecture that a SparseCoder cannot hold."""
    if architecture != ARCHITECTURE:
        raise ConfigError(
            "format",
            f"sparsify's SparseCoder is a TopK SAE and cannot hold a {architecture} SAE; give "
            f"--architecture {ARCHITECTURE}, or --format saelens",
        )


def save_sparsify(directory: Path, weights: InitialWeights, k: int) -> None:
    """Write `weights` as a SparseCoder with k latents per sample, as save_to_disk does (the
    atoms have unit norm, so its normalize_decoder setting is on, its default)."""
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {
        "encoder.weight": weights.W_enc.T,
        "encoder.bias": weights.b_enc,
        "W_dec": weights.W_dec,
        "b_dec": weights.b_dec,
    }
    save_file(
        {name: value.contiguous().float().cpu() for name, value in tensors.items()},
        directory / WEIGHTS_FILE,
    )
    cfg = {
        "activation": "topk",
        "expansion_factor": max(1, weights.d_sae // weights.d_in),
        "normalize_decoder": True,
        "num_latents": weights.d_sae,
        "k": k,
        "multi_topk": False,
        "skip_connection": False,
        "transcode": False,
        "d_in": weights.d_in,
    }
    (directory / CONFIG_FILE).write_text(json.dumps(cfg, indent=2))
