"""Commands about toy data and the inits: data, inits."""

from __future__ import annotations

import click

from saeinit import inits
from saeinit.cli.app import TOY_CHOICES, cli, explicit, scenario_option
from saeinit.cli.options import config_options
from saeinit.cli.outputs import with_suffix, writable_file
from saeinit.config import ConfigError
from saeinit.data.toy_config import ToyConfig
from saeinit.inits.encoders import ENCODER_INITS
from saeinit.training.config import TrainConfig
from saeinit.training.settings import config_from_settings


@cli.command()
@scenario_option
@config_options(ToyConfig, exclude=("seed", "dataset_size"), choices=TOY_CHOICES)
@click.option(
    "--samples", type=int, default=100_000, show_default=True, help="Number of samples N."
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of features and samples."
)
@click.option(
    "--batch-size",
    type=int,
    default=TrainConfig.batch_size,
    show_default=True,
    help="Draw the samples in batches of this size, each with its own copula draw, as training "
    "draws its batches (one draw for the whole dataset would give every sample the same "
    "feature probabilities).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    required=True,
    help="Output .npz file (.npz is added to a name without it).",
)
def data(samples: int, seed: int, batch_size: int, out: str, **values) -> None:
    """Export a toy dataset: x (N x d), coefficients (N x G) and features (G x d)."""
    from saeinit.data.dataset import save_npz
    from saeinit.data.toy import ToyData
    from saeinit.seeding import torch_generator

    if samples < 1:
        raise ConfigError("samples", f"must be an integer >= 1, got {samples}")
    if batch_size < 1:
        raise ConfigError("batch-size", f"must be an integer >= 1, got {batch_size}")
    config = config_from_settings(explicit(values) | {"seed": seed}).toy
    path = writable_file(with_suffix(out, ".npz"), "out")
    toy = ToyData(config)
    batch = toy.sample_batches(samples, torch_generator(seed, "train"), batch_size)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_npz(path, batch.x, batch.coefficients, toy.features, batch_size)
    click.echo(f"wrote {samples} samples of {toy.config.scenario} to {path}")


@cli.command(name="inits")
def list_inits() -> None:
    """List the registered dictionary inits (--init), then the encoder inits (--encoder-init)."""
    width = max(len(name) for name in [*inits.names(), *ENCODER_INITS])
    for spec in inits.available():
        click.echo(f"{spec.name:<{width}}  {spec.description}")
    click.echo("\nencoder inits (--encoder-init):")
    for spec in ENCODER_INITS.values():
        click.echo(f"{spec.name:<{width}}  {spec.description}")
