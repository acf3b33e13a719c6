"""`saeinit init`: an initial SAE built without training, written for another trainer.

It is `saeinit train --max-steps 0 --save DIR` without the training options: the same data,
b_dec, normalisation, dictionary init and encoder init, the start evaluated once, then the SAE
written in SAELens' layout or in EleutherAI sparsify's, with `init.json` beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from saeinit import ActivationsConfig, ToyConfig, TrainConfig, config_from_settings, inits
from saeinit.cli.app import SAE_CHOICES, TOY_CHOICES, capped_threads, cli, explicit, scenario_option
from saeinit.cli.data_options import data_options, overwrite_option
from saeinit.cli.options import config_options
from saeinit.cli.outputs import write_text
from saeinit.cli.train import check_save
from saeinit.config import DEVICES
from saeinit.data.synthetic.config import SyntheticConfig
from saeinit.models import SAEConfig

FORMATS = ("saelens", "sparsify")
RECORD_FILE = "init.json"
TRAINING_ONLY = (
    "lr",
    "max_steps",
    "target_mmcs",
    "resample_every",
    "resample_duplicates",
    "resample_threshold",
    "target_fvu",
    "eval_every",
    "log_every",
    "lr_warmup_steps",
    "lr_decay_fraction",
    "l1_warmup_steps",
    "decoder_lr_scale",
    "auxk",
    "auxk_coefficient",
    "auxk_dead_samples",
)
"""TrainConfig's settings that only training reads (the init uses their defaults); the batch
size stays, as the data sources draw in batches (toy data's correlation, the activations'
buffer)."""


@cli.command(name="init")
@scenario_option
@config_options(ToyConfig, exclude=("seed",), choices=TOY_CHOICES)
@config_options(SAEConfig, choices=SAE_CHOICES)
@config_options(inits.InitConfig, choices=inits.choices())
@config_options(TrainConfig, exclude=TRAINING_ONLY, choices={"device": DEVICES})
@config_options(ActivationsConfig)
@config_options(SyntheticConfig)
@data_options
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False),
    required=True,
    help=f"Write the initial SAE to this folder, and {RECORD_FILE} (the init's seconds, its "
    "MMCS when the data has ground truth, the settings).",
)
@click.option(
    "--format",
    "layout",
    type=click.Choice(FORMATS),
    default="saelens",
    show_default=True,
    help="saelens: SAELens' layout (sae_lens SAE.load_from_disk; saeinit train --start-from); "
    "sparsify: EleutherAI sparsify's (SparseCoder.load_from_disk), for --architecture topk.",
)
@overwrite_option
def init_command(save_dir: str, layout: str, overwrite: bool, **values) -> None:
    """Build an initial SAE (init, encoder init, b_dec, normalisation) without training it."""
    from saeinit.interop.sparsify import check_architecture
    from saeinit.training.collapse import check_collapse
    from saeinit.training.run import run

    config = config_from_settings(capped_threads(explicit(values)) | {"max_steps": 0})
    if layout == "sparsify":
        check_architecture(config.sae.architecture)
    folder = Path(save_dir)
    check_save(folder, overwrite)
    output = run(config)
    write_sae(folder, layout, output)
    record = init_record(output.result, layout)
    write_text(folder / RECORD_FILE, json.dumps(record, indent=2))
    click.echo(summary(record, folder))
    check_collapse(output.result)  # after the files, which record the collapse


def write_sae(folder: Path, layout: str, output) -> None:
    """Write the run's SAE (a RunOutput's) in `layout`, with the input scaling folded in."""
    from saeinit.interop.sparsify import save_sparsify
    from saeinit.interop.weights import sae_weights
    from saeinit.models.io import save_sae

    if layout == "sparsify":
        save_sparsify(folder, sae_weights(output.model, output.scaling_factor), output.model.k)
        return
    config = output.result["config"]
    save_sae(folder, output.model, config, output.features, output.scaling_factor, output.metadata)


def init_record(result: dict, layout: str) -> dict:
    """What init.json holds: the init's seconds and MMCS (None without ground truth), the
    start's held-out metrics, and the data and settings it was built from."""
    return {
        "format": layout,
        "init_seconds": result["init_seconds"],
        "mmcs": result["mmcs_initial"],
        "live_mmcs": result["live_mmcs_initial"],
        "start": result["final"],
        "collapsed": result["collapsed"],
        "dict_size": result["dict_size"],
        "norm_scaling_factor": result["norm_scaling_factor"],
        "features_fired": result["features_fired"],
        "data_info": result["data_info"],
        "config": result["config"],
    }


def summary(record: dict, folder: Path) -> str:
    config = record["config"]
    line = (
        f"init {config['init']['init']} (encoder {config['sae']['encoder_init']}): "
        f"{record['dict_size']} latents in {record['init_seconds']:.3f}s"
    )
    if record["mmcs"] is not None:
        line += f"  MMCS {record['mmcs']:.4f}  live MMCS {record['live_mmcs']:.4f}"
    return f"{line}\nwrote {folder} ({record['format']} layout) and {folder / RECORD_FILE}"
