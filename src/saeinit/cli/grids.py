"""Commands that run many SAEs: sweep, report, reproduce, tune."""

from __future__ import annotations

import time
from pathlib import Path

import click

from saeinit.cli.app import capped_threads, cli
from saeinit.cli.options import config_options
from saeinit.cli.outputs import writable_file, writable_folder
from saeinit.config import ConfigError
from saeinit.experiments.executors import EXECUTORS
from saeinit.experiments.grid import load_grid
from saeinit.experiments.presets import load_preset, preset_names
from saeinit.experiments.store import ResultStore, StoreError
from saeinit.experiments.tune_config import TuneConfig, tunable


def executor_options(command):
    """--executor, --workers and --ray-address, shared by the commands that run grids."""
    options = [
        click.option(
            "--executor",
            type=click.Choice(EXECUTORS),
            default="local",
            show_default=True,
            help="local: one process per core; ray: Ray tasks (pip install 'saeinit[ray]').",
        ),
        click.option(
            "--workers", type=int, default=None, help="Local processes (default: one per core)."
        ),
        click.option(
            "--ray-address", default=None, help="Join this Ray cluster (default: a local Ray)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


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
@executor_options
def sweep_command(
    grid: str, store_path: str, executor: str, workers: int | None, ray_address: str | None
) -> None:
    """Run every point of a GRID.toml into the result store (resumable); the exit code is 1
    when a run failed or a stored run of the grid collapsed."""
    check_workers(workers)
    writable_file(store_path, "store")
    summary = run_sweep(load_grid(Path(grid)), store_path, executor, workers, ray_address)
    if summary.failed or summary.collapsed:
        raise click.exceptions.Exit(1)


def check_workers(workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise ConfigError("workers", f"must be an integer >= 1, got {workers}")


def run_sweep(spec, store_path, executor="local", workers=None, ray_address=None):
    """Run the grid's missing points into the store; returns the sweep's summary (its
    `failed` runs, and those stored collapsed without `allow_collapse`)."""
    from saeinit.experiments.sweep import sweep

    check_workers(workers)
    with open_store(store_path) as store:
        summary = sweep(spec, store, executor, workers, ray_address)
    click.echo(
        f"{summary.total} runs in the grid: {summary.skipped} already stored, "
        f"{summary.finished} finished now, {len(summary.failed)} failed, "
        f"{len(summary.collapsed)} collapsed"
    )
    for line in summary.failed:
        click.echo(f"failed: {line}", err=True)
    for line in summary.collapsed:
        click.echo(f"collapsed: {line}", err=True)
    if summary.collapsed:
        click.echo(
            "saeinit: collapsed runs are stored, marked; allow_collapse = true in the "
            "grid keeps them with exit code 0",
            err=True,
        )
    return summary


def open_store(path: str, readonly: bool = False) -> ResultStore:
    try:
        return ResultStore(path, readonly=readonly)
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
@click.option(
    "--style",
    type=click.Choice(("auto", "mmcs", "fvu")),
    default="auto",
    show_default=True,
    help="mmcs: the seed post's report (toy data); fvu: FVU, dead latents and time to a "
    "target FVU (real activations); auto: fvu when no run has ground truth.",
)
def report_command(store_path: str, out: str, style: str) -> None:
    """Write report.md, figures and tables from a result store."""
    from saeinit.reports import write_report
    from saeinit.reports.fvu import write_fvu_report

    writable_folder(out, "out")
    with open_store(store_path, readonly=True) as store:
        runs = store.runs()
        without_mmcs = bool(runs) and all(r["mmcs_initial"] is None for r in runs)
        if style == "auto":
            style = "fvu" if without_mmcs else "mmcs"
        elif style == "mmcs" and without_mmcs:
            raise ConfigError(
                "style",
                f"mmcs reports MMCS, and no run in {store_path} has ground truth to measure it "
                "by (runs on activations or a .npz without features): use --style fvu",
            )
        path = (write_fvu_report if style == "fvu" else write_report)(store, Path(out))
    click.echo(f"wrote {path}")


@cli.command(name="reproduce")
@click.option(
    "--preset",
    type=click.Choice(preset_names()),
    default="quick",
    show_default=True,
    help="quick: the seed's experiments with fewer seeds and steps; full: the seed's grid, 5 seeds.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder for results.sqlite, report.md and the figures.",
)
@executor_options
def reproduce_command(
    preset: str, out: str, executor: str, workers: int | None, ray_address: str | None
) -> None:
    """Run the seed post's experiments and write their report (resumable); the report covers
    the runs that finished, and the exit code is 1 when a run failed or collapsed."""
    from saeinit.reports import write_report

    check_workers(workers)
    folder = writable_folder(out, "out")
    spec = load_preset(preset)
    store_path = str(writable_file(folder / "results.sqlite", "out"))
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    summary = run_sweep(spec, store_path, executor, workers, ray_address)
    with open_store(store_path, readonly=True) as store:
        path = write_report(store, folder)
    click.echo(f"wrote {path} ({time.perf_counter() - start:.0f} s in all)")
    if summary.failed:
        click.echo(f"saeinit: {len(summary.failed)} failed run(s) left out of the report", err=True)
    if summary.failed or summary.collapsed:
        raise click.exceptions.Exit(1)


@cli.command(name="tune")
@config_options(TuneConfig, choices={"init": tunable()})
def tune_command(**values) -> None:
    """Tune a rare init's options with Optuna: fewest samples to the target MMCS (resumable)."""
    from saeinit.experiments.tune import tune

    config = TuneConfig(**capped_threads(values))
    writable_file(config.study, "study")
    tune(config, echo=click.echo)
