"""Saving and loading SAEs in SAELens' on-disk layout."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from saeinit.models.relu_sae import ReLUSAE

WEIGHTS_FILE = "sae_weights.safetensors"
CONFIG_FILE = "cfg.json"
GROUND_TRUTH_FILE = "ground_truth.safetensors"


def save_sae(
    directory: Path, model: ReLUSAE, settings: dict, features: torch.Tensor | None = None
) -> None:
    """Write weights with SAELens' names and shapes (W_enc [d_in, d_sae], b_enc [d_sae],
    W_dec [d_sae, d_in], b_dec [d_in]), a cfg.json, and the ground truth when known."""
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {
        "W_enc": model.W_enc.detach(),
        "b_enc": model.b_enc.detach(),
        "W_dec": model.W_dec.detach(),
        "b_dec": torch.zeros(model.d_in),  # the reference SAE has no decoder bias
    }
    save_file({k: v.contiguous().float() for k, v in tensors.items()}, directory / WEIGHTS_FILE)
    cfg = {
        "architecture": "standard",
        "d_in": model.d_in,
        "d_sae": model.d_sae,
        "dtype": "float32",
        "device": "cpu",
        "apply_b_dec_to_input": False,
        "normalize_activations": "none",
        "l1_coefficient": model.l1_coefficient,
        "saeinit": settings,
    }
    (directory / CONFIG_FILE).write_text(json.dumps(cfg, indent=2))
    if features is not None:
        save_file({"features": features.contiguous().float()}, directory / GROUND_TRUTH_FILE)


def load_sae(directory: Path) -> ReLUSAE:
    """Load an SAE saved by `save_sae` (or a standard SAELens SAE without decoder bias)."""
    cfg = json.loads((directory / CONFIG_FILE).read_text())
    tensors = load_file(directory / WEIGHTS_FILE)
    model = ReLUSAE(cfg["d_in"], cfg["d_sae"], cfg.get("l1_coefficient", 0.0))
    with torch.no_grad():
        for name in ("W_enc", "b_enc", "W_dec"):
            getattr(model, name).copy_(tensors[name])
    return model
