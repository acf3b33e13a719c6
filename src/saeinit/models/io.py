"""Saving and loading SAEs in SAELens' on-disk layout.

A folder holds `sae_weights.safetensors` (W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in],
b_dec [d_in], and the architecture's own tensors, `SAE.saelens_tensors`: JumpReLU's threshold
[d_sae]) and `cfg.json` (the architecture's SAELens name and its own keys, d_in, d_sae,
apply_b_dec_to_input, normalize_activations, and the hook it was trained on when known).
SAELens' `SAE.load_from_disk` reads what `save_sae` writes, and `load_sae` reads SAELens' SAEs of
every registered architecture. An architecture that SAELens saves under another's name
(BatchTopK, saved as a JumpReLU SAE) loads as that other one, except from a folder of ours that
records it (the `saeinit` settings name the architecture trained), so that a run resumes as
itself.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from saeinit.config import ConfigError
from saeinit.models.base import SAE
from saeinit.models.registry import ARCHITECTURES, by_saelens_name

WEIGHTS_FILE = "sae_weights.safetensors"
CONFIG_FILE = "cfg.json"
SPARSIFY_WEIGHTS_FILE = "sae.safetensors"
"""The weights file of EleutherAI sparsify's layout (`interop/sparsify.py` writes it beside a
cfg.json of its own keys): recognised so that such a folder is refused saying what it is."""
GROUND_TRUTH_FILE = "ground_truth.safetensors"
INFERENCE_NORMALIZATIONS = ("none", "expected_average_only_in")
"""What `load_sae` accepts: SAELens applies neither at inference (the second is a training-time
scaling, folded into the weights of a finished SAE)."""


def save_sae(
    directory: Path,
    model: SAE,
    settings: dict,
    features: torch.Tensor | None = None,
    scaling_factor: float | None = None,
    metadata: dict | None = None,
) -> None:
    """Write weights with SAELens' names and shapes, a cfg.json, and the ground truth when
    known. `scaling_factor` (the normalisation the model was trained under) is folded into the
    saved weights, as SAELens does at the end of training, so the saved SAE takes unscaled
    data; `metadata` (model_name, hook_name, context_size, ...) goes into cfg.json."""
    directory.mkdir(parents=True, exist_ok=True)
    if scaling_factor is not None and scaling_factor != 1.0:
        model = copy.deepcopy(model)  # the caller's model keeps its form
        model.fold_scaling(scaling_factor)
    b_dec = model.b_dec if model.b_dec is not None else torch.zeros(model.d_in)
    tensors = {
        "W_enc": model.W_enc.detach().clone(),
        "b_enc": model.b_enc.detach().clone(),
        "W_dec": model.W_dec.detach().clone(),
        "b_dec": b_dec.detach().clone(),
        **{name: value.detach().clone() for name, value in model.saelens_tensors().items()},
    }
    save_file(
        {k: v.contiguous().float().cpu() for k, v in tensors.items()}, directory / WEIGHTS_FILE
    )
    cfg = {
        "architecture": model.architecture.saelens_name,
        **model.saelens_settings(),
        "d_in": model.d_in,
        "d_sae": model.d_sae,
        "dtype": "float32",
        "device": "cpu",
        # without a b_dec the saved one is zero, so either value gives the same outputs
        "apply_b_dec_to_input": model.b_dec is not None and model.apply_b_dec_to_input,
        "normalize_activations": "none",
        "reshape_activations": "none",
        **(metadata or {}),
        "saeinit": settings,
        "saeinit_norm_scaling_factor_folded": scaling_factor,
    }
    (directory / CONFIG_FILE).write_text(json.dumps(cfg, indent=2))
    if features is not None:
        save_file({"features": features.contiguous().float()}, directory / GROUND_TRUTH_FILE)


def read_config(directory: Path, option: str = "sae") -> dict:
    """cfg.json of a saved SAE, with a clear error for a folder that is not one."""
    path = Path(directory) / CONFIG_FILE
    if not Path(directory).is_dir():
        raise ConfigError(option, f"{directory} is not a folder")
    try:
        cfg = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise ConfigError(option, f"{directory} holds no {CONFIG_FILE}; not a saved SAE") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(option, f"cannot read {path}: {err}") from err
    if not isinstance(cfg, dict):
        raise ConfigError(
            option, f"{path} is not an SAE config: it holds a JSON {type(cfg).__name__}"
        )
    if "num_latents" in cfg and (Path(directory) / SPARSIFY_WEIGHTS_FILE).exists():
        raise ConfigError(
            option,
            f"{directory} holds an SAE in sparsify's layout ({SPARSIFY_WEIGHTS_FILE}, "
            f"{CONFIG_FILE} with num_latents), which sparsify's SparseCoder loads; saeinit loads "
            "SAELens' layout (saeinit init --format saelens writes it)",
        )
    missing = [key for key in ("d_in", "d_sae") if key not in cfg]
    if missing:
        raise ConfigError(option, f"{path} is not an SAE config: it lacks {', '.join(missing)}")
    for key in ("d_in", "d_sae"):
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(option, f"{key} in {path} must be an integer >= 1, got {value!r}")
    return cfg


def load_sae(directory: Path, option: str = "sae") -> SAE:
    """Load an SAE saved by `save_sae` or by SAELens, with its weights exactly as saved (atoms
    need not be unit-norm; `SAE.fold_decoder_norm` makes them so without changing the
    function, for further training). `option` names the command-line option in errors."""
    directory = Path(directory)
    try:
        return _load(directory, read_config(directory, option), option)
    except ConfigError as err:  # the registry and the architectures name no option
        raise ConfigError(option, err.message) from err


def _load(directory: Path, cfg: dict, option: str) -> SAE:
    name = cfg.get("architecture", "standard")
    if not isinstance(name, str):
        raise ConfigError(option, f"{directory / CONFIG_FILE} names no architecture: {name!r}")
    architecture = by_saelens_name(name, str(directory))
    ours = cfg.get("saeinit")
    ours_sae = ours.get("sae") if isinstance(ours, dict) else None
    trained_as = ours_sae.get("architecture") if isinstance(ours_sae, dict) else None
    if isinstance(trained_as, str) and trained_as in ARCHITECTURES:
        if ARCHITECTURES[trained_as].saelens_name == name:
            architecture = ARCHITECTURES[trained_as]
    normalization = cfg.get("normalize_activations") or "none"
    if not isinstance(normalization, str) or normalization not in INFERENCE_NORMALIZATIONS:
        raise ConfigError(
            option,
            f"{directory} uses normalize_activations={normalization!r}; only "
            f"{', '.join(INFERENCE_NORMALIZATIONS)} load here",
        )
    if cfg.get("reshape_activations") not in (None, "none"):
        raise ConfigError(option, f"{directory} reshapes activations (hook_z); not supported")
    try:
        tensors = load_file(directory / WEIGHTS_FILE)
    except (OSError, SafetensorError) as err:
        raise ConfigError(option, f"cannot read {directory / WEIGHTS_FILE}: {err}") from err
    missing = sorted({"W_enc", "b_enc", "W_dec"} - set(tensors))
    if missing:
        raise ConfigError(option, f"{directory / WEIGHTS_FILE} lacks {', '.join(missing)}")
    d_in, d_sae = cfg["d_in"], cfg["d_sae"]
    # Our own SAEs saved without a decoder bias come back without one; SAELens' always have it.
    has_b_dec = "b_dec" in tensors and not (
        isinstance(ours, dict)
        and (ours_sae.get("b_dec", "none") if isinstance(ours_sae, dict) else "none") == "none"
    )
    apply_b_dec_to_input = bool(cfg.get("apply_b_dec_to_input", True))
    model = architecture.sae_class().from_saelens(cfg, d_in, d_sae, has_b_dec, apply_b_dec_to_input)
    names = ("W_enc", "b_enc", "W_dec", "b_dec") if has_b_dec else ("W_enc", "b_enc", "W_dec")
    targets = {name: getattr(model, name) for name in names}
    own = model.saelens_tensors()
    missing = sorted(set(own) - set(tensors))
    if missing:
        raise ConfigError(
            option,
            f"{directory / WEIGHTS_FILE} lacks {', '.join(missing)}, which a "
            f"{model.architecture.name} SAE needs",
        )
    targets |= {name: torch.empty_like(value) for name, value in own.items()}
    with torch.no_grad():
        for name, target in targets.items():
            if tuple(tensors[name].shape) != tuple(target.shape):
                raise ConfigError(
                    option,
                    f"{name} in {directory} has shape {tuple(tensors[name].shape)}, "
                    f"expected {tuple(target.shape)} from d_in {d_in} and d_sae {d_sae}",
                )
            target.copy_(tensors[name].float())
            if not torch.isfinite(target).all():
                raise ConfigError(
                    option,
                    f"{name} in {directory / WEIGHTS_FILE} holds NaN or inf values; an SAE "
                    "with non-finite weights cannot be used (was its training diverging?)",
                )
        model.load_saelens_tensors({name: targets[name] for name in own})
    zero = (model.W_dec.norm(dim=1) == 0).nonzero().squeeze(1).tolist()
    if zero:
        raise ConfigError(
            option,
            f"W_dec in {directory / WEIGHTS_FILE} has {len(zero)} of its {d_sae} atoms all "
            f"zeros (row {zero[0]} first): a latent needs a direction to reconstruct along",
        )
    return model
