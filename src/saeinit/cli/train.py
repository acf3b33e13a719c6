"""`saeinit train`: one SAE from one set of options."""

from __future__ import annotations

import json
from pathlib import Path

import click

from saeinit import inits
from saeinit.cli.app import SAE_CHOICES, TOY_CHOICES, capped_threads, cli, explicit, scenario_option
from saeinit.cli.data_options import data_options, overwrite_option
from saeinit.cli.options import config_options
from saeinit.cli.outputs import writable_file, writable_folder, write_text
from saeinit.config import DEVICES, ConfigError
from saeinit.data import ToyConfig
from saeinit.data.activations import ActivationsConfig
from saeinit.data.synthetic.config import SyntheticConfig
from saeinit.models import SAEConfig
from saeinit.training.config import THRESHOLDS, TrainConfig
from saeinit.training.settings import config_from_settings, step_unit


@cli.command()
@scenario_option
@config_options(ToyConfig, exclude=("seed",), choices=TOY_CHOICES)
@config_options(SAEConfig, choices=SAE_CHOICES)
@config_options(inits.InitConfig, choices=inits.choices())
@config_options(TrainConfig, choices={"device": DEVICES})
@config_options(ActivationsConfig)
@config_options(SyntheticConfig)
@data_options
@click.option(
    "--start-from",
    default=None,
    help="Start from this saved SAE folder (ours or SAELens' standard SAE) instead of an init.",
)
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False), help="Write the result JSON here."
)
@click.option(
    "--save", "save_dir", type=click.Path(file_okay=False), help="Save the SAE to this folder."
)
@overwrite_option
def train(json_path: str | None, save_dir: str | None, overwrite: bool, **values) -> None:
    """Train one SAE and report steps, samples and seconds to each MMCS threshold."""
    from saeinit.models.io import save_sae
    from saeinit.training.collapse import check_collapse
    from saeinit.training.run import run

    settings = capped_threads(explicit(values))
    config = config_from_settings(settings)
    json_file = writable_file(json_path, "json") if json_path else None
    if save_dir:
        check_save(Path(save_dir), overwrite)
    output = run(config)
    result = output.result
    click.echo(summary(result))
    if json_file:
        write_text(json_file, json.dumps(result, indent=2))
    if save_dir:
        save_sae(
            Path(save_dir),
            output.model,
            result["config"],
            output.features,
            output.scaling_factor,
            output.metadata,
        )
    check_collapse(result)  # after the outputs, which record the collapse


def check_save(folder: Path, overwrite: bool) -> None:
    """--save must be writable, and hold no saved SAE unless --overwrite is given."""
    from saeinit.models.io import CONFIG_FILE, WEIGHTS_FILE

    writable_folder(folder, "save")
    if not overwrite and any((folder / name).exists() for name in (CONFIG_FILE, WEIGHTS_FILE)):
        raise ConfigError(
            "save", f"{folder} already holds a saved SAE; give --overwrite to replace it"
        )


def stop_reason(result: dict, config: dict) -> str:
    """Why training stopped: at the end of its budget, or at --target-mmcs (which a start at
    the features, such as the oracle's, reaches at step 0)."""
    if result["stopped"] != "target":
        return result["stopped"]
    target = config["train"]["target_mmcs"]
    return f"target (MMCS reached --target-mmcs {target}; 1 trains the whole budget)"


def summary(result: dict) -> str:
    config = result["config"]
    info = result.get("data_info") or {}
    source = (
        f"{config['acts']['activations']} ({info['model']} {info['hook_name']}, "
        f"{info['train_tokens']} + {info['eval_tokens']} held-out tokens)"
        if info.get("hook_name")
        else config["data_file"] or f"toy {config['toy']['dim']}x{config['toy']['features']}"
    )
    if info.get("synthetic"):
        source = synthetic_label(info)
    start_from = config.get("start_from")
    start = f"start {start_from}" if start_from else f"init {config['init']['init']}"
    lines = [
        f"data {source}  {start}  dict {result['dict_size']}  "
        f"l1 {config['sae']['l1']}  batch {config['train']['batch_size']}  "
        f"lr {config['train']['lr']}  threads {result['threads']}",
        f"init {result['init_seconds']:.3f}s  train {result['train_seconds']:.2f}s  "
        f"{counts(result['steps'], result['samples'], result.get('epochs'), result)}  "
        f"stopped: {stop_reason(result, config)}",
    ]
    if result["mmcs_initial"] is not None:
        line = f"MMCS {result['mmcs_initial']:.4f} -> {result['mmcs_final']:.4f}"
        live = result.get("live_thresholds") or {}  # absent from results saved before it
        if live:
            line += (
                f"  live MMCS {result['live_mmcs_initial']:.4f} -> {result['live_mmcs_final']:.4f}"
            )
        lines.append(line)
        for name, crossings in (("MMCS", result["thresholds"]), ("live MMCS", live)):
            for threshold in THRESHOLDS if crossings else ():
                hit = crossings[f"{threshold:.2f}"]
                lines.append(f"  {name} >= {threshold}: {crossing(hit, result)}")
    for target, hit in result.get("fvu_thresholds", {}).items():
        lines.append(f"  FVU <= {target}: {crossing(hit, result)}")
    final = result["final"]
    if "f1" in final:
        lines.append(synthetic_line(result["history"][0], final))
    lines.append(
        f"final FVU {final['fvu']:.4f}  L0 {final['l0']:.2f}  dead {final['dead']} "
        f"({final['dead'] / result['dict_size']:.1%} of {result['dict_size']})"
    )
    if result.get("collapsed"):  # absent from results saved before collapse was detected
        lines.append(f"collapsed: {result['collapsed']}")
    return "\n".join(lines)


SYNTHETIC_SHOWN = (
    ("MCC", "mcc"), ("F1", "f1"), ("precision", "precision"), ("recall", "recall"),
    ("uniqueness", "uniqueness"), ("explained variance", "explained_variance"),
)  # fmt: skip


def synthetic_label(info: dict) -> str:
    pool = info["train_samples"]
    samples = f"{pool:,} training samples in epochs" if pool else "fresh samples"
    return (
        f"synthetic {info['synthetic']} ({info['num_features']:,} features in "
        f"{info['hidden_dim']} dimensions, L0 {info['true_l0']:.1f}; {samples}, "
        f"{info['eval_samples']:,} held out)"
    )


def synthetic_line(start: dict, final: dict) -> str:
    """SAELens' metrics at the start and at the end."""
    return "  ".join(
        f"{name} {start[key]:.3f} -> {final[key]:.3f}" for name, key in SYNTHETIC_SHOWN
    )


def counts(
    steps: int, samples: int, epochs: float | None, result: dict, label: str = "steps"
) -> str:
    """ "steps S  samples N", with the epochs of a fixed dataset beside them; a result saved
    when a step was an epoch of a fixed dataset says so."""
    unit = " (epochs)" if step_unit(result) == "epoch" else ""
    text = f"{label} {steps}{unit}  samples {samples}"
    return text if epochs is None else f"{text}  epochs {round(epochs, 2):g}"


def crossing(hit: dict | None, result: dict) -> str:
    if not hit:
        return f"not reached within {result['samples']} samples"
    counted = counts(hit["step"], hit["samples"], hit.get("epochs"), result, "step")
    return f"{counted}  seconds {hit['seconds']:.2f}"
