"""The commands of `saeinit`. Each builds config objects and calls the library."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from saeinit import inits
from saeinit.cli.options import config_options
from saeinit.config import DEVICES, ConfigError
from saeinit.data import ToyConfig, ToyData, save_npz
from saeinit.data.activations import DTYPES, SITES, ActivationsConfig, CollectConfig
from saeinit.data.toy import COPULA_SCALES, CORRELATION_DRAWS, DECAY_LAWS
from saeinit.experiments import ResultStore, StoreError, load_grid, sweep
from saeinit.experiments.executors import EXECUTORS
from saeinit.experiments.presets import load_preset, preset_names
from saeinit.experiments.tune_config import TuneConfig, tunable
from saeinit.models import SAEConfig
from saeinit.models.io import save_sae
from saeinit.seeding import torch_generator
from saeinit.training.config import THRESHOLDS, TrainConfig
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings

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


@cli.command()
@scenario_option
@config_options(ToyConfig, exclude=("seed",), choices=TOY_CHOICES)
@config_options(SAEConfig, choices=SAE_CHOICES)
@config_options(inits.InitConfig, choices=inits.choices())
@config_options(TrainConfig, choices={"device": DEVICES})
@config_options(ActivationsConfig)
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
    "--start-from",
    default=None,
    help="Start from this saved SAE folder (ours or SAELens' standard SAE) instead of an init.",
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
        save_sae(
            Path(save_dir),
            output.model,
            result["config"],
            output.features,
            output.scaling_factor,
            output.metadata,
        )


def summary(result: dict) -> str:
    config = result["config"]
    info = result.get("data_info") or {}
    source = (
        f"{config['acts']['activations']} ({info['model']} {info['hook_name']}, "
        f"{info['train_tokens']} + {info['eval_tokens']} held-out tokens)"
        if info.get("hook_name")
        else config["data_file"] or f"toy {config['toy']['dim']}x{config['toy']['features']}"
    )
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
    for target, hit in result.get("fvu_thresholds", {}).items():
        reached = (
            f"step {hit['step']}  samples {hit['samples']}  seconds {hit['seconds']:.2f}"
            if hit
            else f"not reached within {result['samples']} samples"
        )
        lines.append(f"  FVU <= {target}: {reached}")
    final = result["final"]
    lines.append(
        f"final FVU {final['fvu']:.4f}  L0 {final['l0']:.2f}  dead {final['dead']} "
        f"({final['dead'] / result['dict_size']:.1%} of {result['dict_size']})"
    )
    return "\n".join(lines)


@cli.command()
@config_options(
    CollectConfig,
    choices={"site": SITES, "dtype": tuple(DTYPES), "device": DEVICES},
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

    result = run_collect(CollectConfig(**values), Path(out))
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
    from saeinit.models.io import load_sae

    if eval_samples < 1:
        raise ConfigError("eval-samples", f"must be an integer >= 1, got {eval_samples}")
    model = load_sae(Path(sae_dir))
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
    from saeinit.models.io import load_sae

    a, b = load_sae(Path(sae_a)).W_dec.detach(), load_sae(Path(sae_b)).W_dec.detach()
    if a.shape[1] != b.shape[1]:
        raise ConfigError("sae", f"the SAEs have widths {a.shape[1]} and {b.shape[1]}")
    click.echo(
        f"MMCS {sae_a} -> {sae_b}: {metrics.mmcs(a, b):.4f}  "
        f"{sae_b} -> {sae_a}: {metrics.mmcs(b, a):.4f}  "
        f"mean: {metrics.seed_mmcs(a, b):.4f}"
    )


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
    toy = ToyData(config_from_settings(explicit(values) | {"seed": seed}).toy)
    batch = toy.sample(samples, torch_generator(seed, "train"))
    save_npz(Path(out), batch.x, batch.coefficients, toy.features)
    click.echo(f"wrote {samples} samples of {toy.config.scenario} to {out}")


@cli.command(name="inits")
def list_inits() -> None:
    """List the registered dictionary inits."""
    width = max(len(name) for name in inits.names())
    for spec in inits.available():
        click.echo(f"{spec.name:<{width}}  {spec.description}")


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

    with open_store(store_path) as store:
        if style == "auto":
            runs = store.runs()
            style = "fvu" if runs and all(r["mmcs_initial"] is None for r in runs) else "mmcs"
        path = (write_fvu_report if style == "fvu" else write_report)(store, Path(out))
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
@executor_options
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


@cli.command(name="tune")
@config_options(TuneConfig, choices={"init": tunable()})
def tune_command(**values) -> None:
    """Tune a rare init's options with Optuna: fewest samples to the target MMCS (resumable)."""
    from saeinit.experiments.tune import tune

    tune(TuneConfig(**values), echo=click.echo)
