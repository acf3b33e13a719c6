"""Commands on real activations and saved SAEs: collect, evaluate, compare."""

from __future__ import annotations

from pathlib import Path

import click

from saeinit.cli.app import capped_threads, cli
from saeinit.cli.options import config_options
from saeinit.cli.outputs import writable_folder
from saeinit.config import DEVICES, ConfigError
from saeinit.data.activations import DTYPES, SITES, CollectConfig
from saeinit.training.config import TrainConfig


@cli.command()
@config_options(
    CollectConfig,
    choices={"site": SITES, "dtype": DTYPES, "device": DEVICES},
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder for the shards and manifest.json; a collection already there is resumed.",
)
def collect(out: str, **values) -> None:
    """Store a transformer layer's activations over a text corpus, in resumable shards."""
    from saeinit.data.activations import collect as run_collect

    config = CollectConfig(**capped_threads(values))
    result = run_collect(config, writable_folder(out, "out"))
    manifest = result.manifest
    if result.new_tokens == 0 and result.resumed:
        click.echo(result.message)
        return
    rate = result.new_tokens / result.seconds if result.seconds else 0.0
    state = "complete" if manifest["complete"] else "incomplete"
    click.echo(
        f"{'resumed: ' if result.resumed else ''}{result.new_tokens} new tokens of "
        f"{manifest['model']['name']} {manifest['hook_name']} (width {manifest['d_in']}) in "
        f"{result.seconds:.1f}s ({rate:,.0f} tokens/s); {out} holds {manifest['count']} tokens "
        f"in {len(manifest['shards'])} shards ({state})"
    )


@cli.command()
@click.argument("sae_dir", type=click.Path(file_okay=False))
@click.option(
    "--activations",
    required=True,
    help="Folder of collected activations; the SAE is measured on its held-out tokens.",
)
@click.option(
    "--eval-samples",
    type=int,
    default=TrainConfig.eval_samples,
    show_default=True,
    help="Held-out tokens (the collection's last ones, at most a tenth of it).",
)
def evaluate(sae_dir: str, activations: str, eval_samples: int) -> None:
    """Measure a saved SAE (ours or SAELens') on collected activations: FVU, L0, dead."""
    import torch

    from saeinit import metrics
    from saeinit.data.activations import ActivationStore, holdout_size

    if eval_samples < 1:
        raise ConfigError("eval-samples", f"must be an integer >= 1, got {eval_samples}")
    model = load_argument(sae_dir, "SAE_DIR")
    store = ActivationStore(Path(activations))
    if store.dim != model.d_in:
        raise ConfigError("activations", f"has width {store.dim}, the SAE takes width {model.d_in}")
    held_out = holdout_size(store.count, eval_samples)
    x = store.rows(store.count - held_out, store.count)
    with torch.no_grad():
        acts = model.encode(x)
        x_hat = model.decode(acts)
    dead = metrics.dead_latents(acts)
    click.echo(
        f"{sae_dir} on {held_out} held-out tokens of {activations}: "
        f"FVU {metrics.fvu(x, x_hat):.4f}  L0 {metrics.l0(acts):.2f}  "
        f"dead {dead} ({dead / model.d_sae:.1%} of {model.d_sae})"
    )


@cli.command()
@click.argument("sae_a", type=click.Path(file_okay=False))
@click.argument("sae_b", type=click.Path(file_okay=False))
def compare(sae_a: str, sae_b: str) -> None:
    """MMCS between two saved SAEs' dictionaries (e.g. two seeds), both ways and averaged."""
    from saeinit import metrics

    a = load_argument(sae_a, "SAE_A").W_dec.detach()
    b = load_argument(sae_b, "SAE_B").W_dec.detach()
    if a.shape[1] != b.shape[1]:
        raise bad_argument("SAE_B", f"has width {b.shape[1]}, SAE_A has width {a.shape[1]}")
    click.echo(
        f"MMCS {sae_a} -> {sae_b}: {metrics.mmcs(a, b):.4f}  "
        f"{sae_b} -> {sae_a}: {metrics.mmcs(b, a):.4f}  "
        f"mean: {metrics.seed_mmcs(a, b):.4f}"
    )


def load_argument(path: str, name: str):
    """The saved SAE an argument names; an error about it names the argument."""
    from saeinit.models.io import load_sae

    try:
        return load_sae(Path(path), option=name.lower().replace("_", "-"))
    except ConfigError as err:
        raise bad_argument(name, err.message) from err


def bad_argument(name: str, message: str) -> click.BadParameter:
    """click's one-line error about argument `name` (exit code 2)."""
    return click.BadParameter(message, ctx=click.get_current_context(), param_hint=f"'{name}'")
