"""`saeinit race`: the baseline init against the best informed init, side by side."""

from __future__ import annotations

import time

import click

from saeinit.cli.app import cli
from saeinit.cli.options import config_options
from saeinit.cli.outputs import writable_file, writable_folder
from saeinit.config import ConfigError
from saeinit.experiments.race_config import RaceConfig
from saeinit.experiments.store import StoreError


@cli.command(name="race")
@config_options(RaceConfig)
def race_command(**values) -> None:
    """Race a baseline init against the best one on toy data, side by side (by default
    orthogonal init, the reference, against the recommended modes + whitened encoder under its
    recipe on 128x256): MMCS at the start and the end, the samples and seconds to 0.95, 0.98
    and 0.99 MMCS, the init's own counted in both, with the ratios, and race.png of the
    curves. A second call reuses the stored runs; the exit code is 1 when a run failed or
    collapsed."""
    from saeinit.experiments.race import RaceFailed
    from saeinit.reports.race import race_report
    from saeinit.reports.world_race import world_race_report

    start = time.perf_counter()
    config = RaceConfig(**values)
    writable_folder(config.out, "out")
    store_option = "store" if config.store else "out"
    writable_file(config.store_path(), store_option)
    try:
        report = world_race_report if config.synthetic else race_report
        result = report(config, echo=click.echo)
    except StoreError as err:  # a damaged or foreign store is refused before any run
        raise ConfigError(store_option, str(err)) from err
    except ConfigError as err:  # a store holding runs of other settings names --store
        if err.option != "store":
            raise
        raise ConfigError(store_option, err.message) from err
    except RaceFailed as err:
        for line in err.args:
            click.echo(f"failed: {line}", err=True)
        click.echo("saeinit: the runs that finished are stored; run again to retry", err=True)
        raise click.exceptions.Exit(1) from err
    click.echo(f"race took {time.perf_counter() - start:.0f} s")
    if result.collapsed:
        for line in result.collapsed:
            click.echo(f"collapsed: {line}", err=True)
        click.echo(
            "saeinit: the table holds collapsed runs; allow_collapse=true in --recipe keeps "
            "them with exit code 0",
            err=True,
        )
        raise click.exceptions.Exit(1)
