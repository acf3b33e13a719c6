"""Options that `train` and `init` share beyond those generated from the config dataclasses:
the data besides toy data's own options (--data, --data-seed) and --overwrite."""

from __future__ import annotations

import click


def data_options(command):
    """--data-seed (toy data) and --data (a .npz dataset instead of toy data)."""
    command = click.option(
        "--data",
        "data_file",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="Use a .npz dataset (array x, optional features) instead of toy data.",
    )(command)
    return click.option(
        "--data-seed", type=int, default=None, help="Seed of the toy features (default: --seed)."
    )(command)


def overwrite_option(command):
    return click.option(
        "--overwrite", is_flag=True, help="Replace an SAE already saved in the --save folder."
    )(command)
