"""The `saeinit` command group and what its commands share."""

from __future__ import annotations

import click

from saeinit.data.toy import COPULA_SCALES, CORRELATION_DRAWS, DECAY_LAWS
from saeinit.models import SAEConfig

TOY_CHOICES = {"decay_law": DECAY_LAWS, "correlation": CORRELATION_DRAWS, "copula": COPULA_SCALES}
SAE_CHOICES = SAEConfig.choices()


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
