"""The `saeinit` command line: a thin layer over the library's config objects."""

from __future__ import annotations

import sys

import click

# Importing a command module registers its commands on the group; --help lists them by name.
from saeinit.cli import grids, init, race, saved, toy, train  # noqa: F401
from saeinit.cli.app import DataEnded, cli
from saeinit.config import ConfigError
from saeinit.experiments.store import StoreError
from saeinit.training.collapse import TrainingCollapsed
from saeinit.training.divergence import TrainingDiverged


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input ends with one line naming the option and exit code 2, a failed
    run (diverged or collapsed) or sweep with exit code 1, and only an interrupt (Ctrl-C) with "aborted" and 130."""
    try:
        # Under standalone_mode=False click returns a command's Exit code instead of exiting.
        code = cli.main(args=argv, prog_name="saeinit", standalone_mode=False)
    except click.exceptions.Exit as err:  # raised outside a command's invocation
        return err.exit_code
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
    except StoreError as err:  # a store that fails a read after it was opened and checked
        click.echo(f"saeinit: error: --store: {err}", err=True)
        return 2
    except TrainingDiverged as err:
        click.echo(f"saeinit: training diverged: {err}", err=True)
        return 1
    except TrainingCollapsed as err:
        click.echo(f"saeinit: training collapsed: {err}", err=True)
        return 1
    except DataEnded as err:
        click.echo(f"saeinit: error: {err}", err=True)
        return 1
    except click.exceptions.Abort:  # Ctrl-C: the group turns a command's EOFError into DataEnded
        click.echo("aborted", err=True)
        return 130
    return code if isinstance(code, int) else 0


def entry() -> None:
    sys.exit(main())
