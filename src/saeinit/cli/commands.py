"""The commands of `saeinit`. Each builds config objects and calls the library."""

from __future__ import annotations

import json
from pathlib import Path

import click

from saeinit import inits
from saeinit.cli.options import build, config_options
from saeinit.config import ConfigError
from saeinit.data import ToyConfig, ToyData, parse_scenario, save_npz
from saeinit.data.toy import CORRELATION_DRAWS, DECAY_LAWS, torch_generator
from saeinit.models import SAEConfig
from saeinit.models.io import save_sae
from saeinit.training.config import THRESHOLDS, TrainConfig
from saeinit.training.run import RunConfig, run

TOY_CHOICES = {"decay_law": DECAY_LAWS, "correlation": CORRELATION_DRAWS}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Train sparse autoencoders from informed initial dictionaries."""


def scenario_option(command):
    return click.option(
        "--scenario",
        default=None,
        help="DIMxFEATURES, e.g. 128x512; sets --dim and --features.",
    )(command)


def toy_config(values: dict, seed: int) -> ToyConfig:
    """The toy config from --scenario or --dim/--features, refusing a contradiction."""
    ctx = click.get_current_context()
    if values.get("scenario"):
        dim, features = parse_scenario(values["scenario"])
        for name, implied in (("dim", dim), ("features", features)):
            explicit = ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT
            if explicit and values[name] != implied:
                raise ConfigError(name, f"contradicts --scenario {values['scenario']}")
        values = values | {"dim": dim, "features": features}
    return build(ToyConfig, values, seed=seed)


@cli.command()
@scenario_option
@config_options(ToyConfig, exclude=("seed",), choices=TOY_CHOICES)
@config_options(SAEConfig)
@config_options(inits.InitConfig, choices=inits.choices())
@config_options(TrainConfig)
@click.option(
    "--data-seed", type=int, default=None, help="Seed of the toy features (default: --seed)."
)
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Train on a .npz dataset (array x, optional features) instead of toy data.",
)
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False), help="Write the result JSON here."
)
@click.option(
    "--save", "save_dir", type=click.Path(file_okay=False), help="Save the SAE to this folder."
)
def train(json_path: str | None, save_dir: str | None, **values) -> None:
    """Train one SAE and report steps, samples and seconds to each MMCS threshold."""
    seed = values["seed"] if values["data_seed"] is None else values["data_seed"]
    config = RunConfig(
        data=toy_config(values, seed),
        sae=build(SAEConfig, values),
        init=build(inits.InitConfig, values),
        train=build(TrainConfig, values),
        data_file=values["data_file"],
    )
    output = run(config)
    result = output.result
    click.echo(summary(result))
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    if save_dir:
        save_sae(Path(save_dir), output.model, result["config"], output.features)


def summary(result: dict) -> str:
    config = result["config"]
    source = config["data_file"] or f"toy {config['data']['dim']}x{config['data']['features']}"
    lines = [
        f"data {source}  init {config['init']['init']}  dict {result['dict_size']}  "
        f"l1 {config['sae']['l1']}  batch {config['train']['batch_size']}  "
        f"lr {config['train']['lr']}  threads {result['threads']}",
        f"init {result['init_seconds']:.3f}s  train {result['train_seconds']:.2f}s  "
        f"steps {result['steps']}  samples {result['samples']}  stopped: {result['stopped']}",
    ]
    if result["mmcs_initial"] is not None:
        lines.append(f"MMCS {result['mmcs_initial']:.4f} -> {result['mmcs_final']:.4f}")
        for threshold in THRESHOLDS:
            hit = result["thresholds"][f"{threshold:.2f}"]
            reached = (
                f"step {hit['step']}  samples {hit['samples']}  seconds {hit['seconds']:.2f}"
                if hit
                else f"not reached within {result['samples']} samples"
            )
            lines.append(f"  MMCS >= {threshold}: {reached}")
    final = result["final"]
    lines.append(f"final FVU {final['fvu']:.4f}  L0 {final['l0']:.2f}  dead {final['dead']}")
    return "\n".join(lines)


@cli.command()
@scenario_option
@config_options(ToyConfig, exclude=("seed", "dataset_size"), choices=TOY_CHOICES)
@click.option(
    "--samples", type=int, default=100_000, show_default=True, help="Number of samples N."
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of features and samples."
)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Output .npz file.")
def data(samples: int, seed: int, out: str, **values) -> None:
    """Export a toy dataset: x (N x d), coefficients (N x G) and features (G x d)."""
    if samples < 1:
        raise ConfigError("samples", f"must be an integer >= 1, got {samples}")
    toy = ToyData(toy_config(values, seed))
    batch = toy.sample(samples, torch_generator(seed, "train"))
    save_npz(Path(out), batch.x, batch.coefficients, toy.features)
    click.echo(f"wrote {samples} samples of {toy.config.scenario} to {out}")


@cli.command(name="inits")
def list_inits() -> None:
    """List the registered dictionary inits."""
    width = max(len(name) for name in inits.names())
    for spec in inits.available():
        click.echo(f"{spec.name:<{width}}  {spec.description}")
