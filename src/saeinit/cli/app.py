"""The `saeinit` command group and what its commands share."""

from __future__ import annotations

import click

from saeinit.cpu import allowed_cores
from saeinit.data.toy_config import COPULA_SCALES, CORRELATION_DRAWS, DECAY_LAWS
from saeinit.models import SAEConfig

TOY_CHOICES = {"decay_law": DECAY_LAWS, "correlation": CORRELATION_DRAWS, "copula": COPULA_SCALES}
SAE_CHOICES = SAEConfig.choices()


class DataEnded(Exception):
    """An EOFError raised by a command (a file that ends too early): not an interrupt."""


class Group(click.Group):
    """Click's group, except that an EOFError from a command is not taken for Ctrl-C.

    Under `standalone_mode=False` click turns any EOFError into `Abort`, which the CLI reports
    as an interrupt ("aborted", exit code 130); here it becomes `DataEnded` first."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EOFError as err:
            raise DataEnded(f"a file ended unexpectedly (EOFError: {err})") from err


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="saeinit", prog_name="saeinit")
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


def capped_threads(values: dict) -> dict:
    """`values` with --threads lowered to the machine's cores (more threads than cores only
    slow torch down), saying so on stderr."""
    threads, cores = values.get("threads"), allowed_cores()
    if isinstance(threads, int) and threads > cores:
        click.echo(
            f"saeinit: note: --threads {threads} is more than the {cores} cores here; "
            f"using {cores}",
            err=True,
        )
        return values | {"threads": cores}
    return values
