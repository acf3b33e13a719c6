"""The commands of `saeinit`. Each builds config objects and calls the library."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from saeinit import inits
from saeinit.cli.options import config_options
from saeinit.config import ConfigError
from saeinit.data import ToyConfig, ToyData, save_npz
from saeinit.data.toy import COPULA_SCALES, CORRELATION_DRAWS, DECAY_LAWS, torch_generator
from saeinit.experiments import ResultStore, StoreError, load_grid, sweep
from saeinit.experiments.executors import EXECUTORS
from saeinit.experiments.presets import load_preset, preset_names
from saeinit.models import SAEConfig
from saeinit.models.io import save_sae
from saeinit.training.config import THRESHOLDS, TrainConfig
from saeinit.training.run import config_from_settings, run

TOY_CHOICES = {"decay_law": DECAY_LAWS, "correlation": CORRELATION_DRAWS, "copula": COPULA_SCALES}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Train sparse autoencoders from informed initial dictionaries."""


def scenario_option(command):
    return click.option(
        "--scenario",
        default=None,
        help="DIMxFEATURES, e.g. 128x512; sets --dim and --features.",
    )(command)


def explicit(values: dict) -> dict:
    """The options the user actually gave; the rest take the config dataclasses' defaults."""
    ctx = click.get_current_context()
    given = click.core.ParameterSource.DEFAULT
    return {k: v for k, v in values.items() if ctx.get_parameter_source(k) != given}


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
    output = run(config_from_settings(explicit(values)))
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
    toy = ToyData(config_from_settings(explicit(values) | {"seed": seed}).data)
    batch = toy.sample(samples, torch_generator(seed, "train"))
    save_npz(Path(out), batch.x, batch.coefficients, toy.features)
    click.echo(f"wrote {samples} samples of {toy.config.scenario} to {out}")


@cli.command(name="inits")
def list_inits() -> None:
    """List the registered dictionary inits."""
    width = max(len(name) for name in inits.names())
    for spec in inits.available():
        click.echo(f"{spec.name:<{width}}  {spec.description}")


@cli.command(name="sweep")
@click.argument("grid", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False),
    default="results.sqlite",
    show_default=True,
    help="SQLite result store; finished runs in it are skipped.",
)
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="local: one process per core; ray: Ray tasks (pip install 'saeinit[ray]').",
)
@click.option("--workers", type=int, default=None, help="Local processes (default: one per core).")
@click.option("--ray-address", default=None, help="Join this Ray cluster (default: a local Ray).")
def sweep_command(
    grid: str, store_path: str, executor: str, workers: int | None, ray_address: str | None
) -> None:
    """Run every point of a GRID.toml into the result store (resumable)."""
    run_sweep(load_grid(Path(grid)), store_path, executor, workers, ray_address)


def run_sweep(spec, store_path, executor="local", workers=None, ray_address=None) -> None:
    if workers is not None and workers < 1:
        raise ConfigError("workers", f"must be an integer >= 1, got {workers}")
    with open_store(store_path) as store:
        summary = sweep(spec, store, executor, workers, ray_address)
    click.echo(
        f"{summary.total} runs in the grid: {summary.skipped} already stored, "
        f"{summary.finished} finished now, {len(summary.failed)} failed"
    )
    for line in summary.failed:
        click.echo(f"failed: {line}", err=True)
    if summary.failed:
        raise click.exceptions.Exit(1)


def open_store(path: str) -> ResultStore:
    try:
        return ResultStore(path)
    except StoreError as err:
        raise ConfigError("store", str(err)) from err


@cli.command(name="report")
@click.option(
    "--store",
    "store_path",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="SQLite result store written by `saeinit sweep`.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder for report.md and its PNG figures.",
)
def report_command(store_path: str, out: str) -> None:
    """Write report.md, figures and tables from a result store."""
    from saeinit.reports import write_report

    with open_store(store_path) as store:
        path = write_report(store, Path(out))
    click.echo(f"wrote {path}")


@cli.command(name="reproduce")
@click.option(
    "--preset",
    type=click.Choice(preset_names()),
    default="quick",
    show_default=True,
    help="quick: under 15 minutes on 2 CPU cores; full: the seed's grid, 5 seeds.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder for results.sqlite, report.md and the figures.",
)
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="Where the runs execute.",
)
@click.option("--workers", type=int, default=None, help="Local processes (default: one per core).")
@click.option("--ray-address", default=None, help="Join this Ray cluster (default: a local Ray).")
def reproduce_command(
    preset: str, out: str, executor: str, workers: int | None, ray_address: str | None
) -> None:
    """Run the seed post's experiments and write their report (resumable)."""
    from saeinit.reports import write_report

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    run_sweep(load_preset(preset), str(folder / "results.sqlite"), executor, workers, ray_address)
    with open_store(str(folder / "results.sqlite")) as store:
        path = write_report(store, folder)
    click.echo(f"wrote {path} ({time.perf_counter() - start:.0f} s in all)")
