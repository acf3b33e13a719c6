"""The `saeinit` command line: a thin layer over the library's config objects."""

from __future__ import annotations

import sys

import click

# Importing a command module registers its commands on the group; --help lists them by name.
from saeinit.cli import grids, saved, toy, train  # noqa: F401
from saeinit.cli.app import cli
from saeinit.config import ConfigError
from saeinit.training.trainer import TrainingDiverged


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input ends with one line naming the option and exit code 2."""
    try:
        cli.main(args=argv, prog_name="saeinit", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as err:
        click.echo(err.ctx.get_help() if err.ctx else str(err))
        return 0
    except click.UsageError as err:
        command = err.ctx.command_path if err.ctx else "saeinit"
        click.echo(f"{command}: error: {err.format_message()}", err=True)
        return 2
    except ConfigError as err:
        click.echo(f"saeinit: error: --{err.option}: {err.message}", err=True)
        return 2
    except TrainingDiverged as err:
        click.echo(f"saeinit: training diverged: {err}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    return 0


def entry() -> None:
    sys.exit(main())
