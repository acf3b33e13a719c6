"""Tuning a rare init's options with Optuna: fewest samples to a target MMCS.

A trial picks the init's options with a seeded TPE sampler (`search_space`: --rare-ratio,
--init-samples and --rare-base for every rare init, plus each init's own knobs), trains one
SAE per seed through `saeinit.training.run.run` (one torch thread, no progress bar), and
scores each run by `samples_to_target`: the training samples seen when MMCS first reached the
target, or, when the step budget ran out first, budget + (1 - final MMCS) * budget (in
samples), so that every miss scores worse than every hit and a near miss better than a far
one. The trial's objective is the median over the seeds. Init samples and init seconds are not
in the objective; each trial records its init seconds beside it.

The study lives in an SQLite file (Optuna's RDB storage), under a name made from the init and
a hash of the settings that change the objective, so running the same command again resumes
it: each call adds --trials trials. The baselines (orthogonal and data unless told otherwise)
are measured once per study with the same scenario, budget, target and seeds, and kept in the
study, so that the best trial's gain is read side by side with them.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from saeinit.config import ConfigError
from saeinit.experiments.sqlite_files import connect_readonly
from saeinit.experiments.tune_config import SAMPLER_SEEDS, TuneConfig, search_space
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


class Measurement(NamedTuple):
    """One setting's runs over the seeds."""

    objective: float
    """Median over the seeds of `samples_to_target`."""
    values: list[float]
    """`samples_to_target` of each seed."""
    reached: int
    """How many seeds reached the target within the budget."""
    init_seconds: float
    """Median init time."""
    seconds: float
    """Wall-clock seconds of all the runs."""


class TuneResult(NamedTuple):
    study_name: str
    trials: int
    """Completed trials in the study."""
    best_trial: int | None
    best_params: dict[str, Any]
    best: Measurement | None
    baselines: dict[str, Measurement]


def samples_to_target(result: dict) -> float:
    """Training samples to the target MMCS; after a miss, budget + (1 - final MMCS) * budget."""
    if result["stopped"] == "target":
        return float(result["samples"])
    return result["samples"] * (2.0 - result["mmcs_final"])


def measure(config: TuneConfig, options: dict[str, Any]) -> Measurement:
    """Train once per seed with `options` on top of the study's settings."""
    start = time.perf_counter()
    values, init_seconds, reached = [], [], 0
    for seed in range(config.seeds):
        settings = config.run_settings() | options | {"seed": seed}
        result = run(config_from_settings(settings)).result
        values.append(samples_to_target(result))
        init_seconds.append(result["init_seconds"])
        reached += result["stopped"] == "target"
    return Measurement(
        statistics.median(values),
        values,
        reached,
        statistics.median(init_seconds),
        time.perf_counter() - start,
    )


def suggest(trial, config: TuneConfig) -> dict[str, Any]:
    """The options of one trial."""
    options: dict[str, Any] = {}
    for knob in search_space(config):
        if knob.integer:
            options[knob.name] = trial.suggest_int(knob.name, knob.low, knob.high, log=knob.log)
        else:
            options[knob.name] = trial.suggest_float(knob.name, knob.low, knob.high, log=knob.log)
    options["rare_base"] = trial.suggest_categorical("rare_base", config.base_list())
    return options


def storage_url(path: str) -> str:
    """The RDB storage URL of a study file, refusing a file that is not an Optuna study."""
    file = Path(path)
    if file.exists():
        try:
            with contextlib.closing(connect_readonly(file)) as db:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as err:
            raise ConfigError("study", f"{path} is not an SQLite file: {err}") from err
        if tables and "studies" not in tables:
            raise ConfigError("study", f"{path} is an SQLite file but not an Optuna study")
    else:
        file.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{file.resolve()}"


def open_study(config: TuneConfig):
    """Create or resume the study; interrupted trials (left running) are failed and queued
    again."""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(storage_url(config.study))
    study = optuna.create_study(
        study_name=config.name(), storage=storage, direction="minimize", load_if_exists=True
    )
    identity = json.loads(json.dumps(config.identity()))
    stored = study.user_attrs.get("identity")
    if stored is None:
        study.set_user_attr("identity", identity)
    elif stored != identity:
        raise ConfigError(
            "study-name",
            f"the study {config.name()!r} in {config.study} has other settings ({stored}); "
            "choose another --study-name or file",
        )
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        study.enqueue_trial(trial.params)
    seed = (config.sampler_seed + len(study.get_trials(deepcopy=False))) % SAMPLER_SEEDS
    study.sampler = optuna.samplers.TPESampler(seed=seed)
    return study


def baselines(study, config: TuneConfig, echo: Callable[[str], Any]) -> dict[str, Measurement]:
    """The baselines' measurements, taken once per study and kept in it."""
    measured = {}
    for name in config.baseline_list():
        key = f"baseline {name}"
        if key in study.user_attrs:
            measured[name] = Measurement(**study.user_attrs[key])
            origin = "stored in the study"
        else:
            measured[name] = measure(config, {"init": name})
            study.set_user_attr(key, measured[name]._asdict())
            origin = f"measured in {measured[name].seconds:.0f} s"
        echo(f"baseline {name:<10} {describe(measured[name], config)}  ({origin})")
    return measured


def describe(measurement: Measurement, config: TuneConfig) -> str:
    return (
        f"{measurement.objective:>12,.0f} samples  reached {measurement.reached}/{config.seeds}"
        f"  init {measurement.init_seconds:.2f} s"
    )


def format_options(options: dict[str, Any]) -> str:
    return " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in options.items()
    )


def train_command(config: TuneConfig, options: dict[str, Any]) -> str:
    """The `saeinit train` command of one setting (seed 0)."""
    settings = {k: v for k, v in config.run_settings().items() if k != "progress"} | options
    words = [
        f"--{k.replace('_', '-')} {v:.4g}"
        if isinstance(v, float)
        else f"--{k.replace('_', '-')} {v}"
        for k, v in settings.items()
    ]
    return " ".join(["saeinit train", *words])


def tune(config: TuneConfig, echo: Callable[[str], Any] = print) -> TuneResult:
    """Run --trials trials of the study (resumed if the file holds it) and print the best
    settings beside the baselines."""
    from optuna.trial import TrialState

    study = open_study(config)
    done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    echo(
        f"study {config.name()} in {config.study}: {done} trials done, {config.trials} to run; "
        f"{config.init} on {config.scenario}, l1 {config.l1}, MMCS {config.target_mmcs} within "
        f"{config.max_steps} steps, median of {config.seeds} seed(s)"
    )
    measured = baselines(study, config, echo)

    def objective(trial) -> float:
        measurement = measure(config, suggest(trial, config))
        for key, value in measurement._asdict().items():
            trial.set_user_attr(key, value)
        return measurement.objective

    def report(study, trial) -> None:
        if trial.state != TrialState.COMPLETE:
            return
        m = Measurement(**{k: trial.user_attrs[k] for k in Measurement._fields})
        best = study.best_trial
        echo(
            f"trial {trial.number:>3} {describe(m, config)}  {m.seconds:.0f} s  "
            f"{format_options(trial.params)}  | best {best.value:,.0f} (trial {best.number})"
        )

    study.optimize(objective, n_trials=config.trials, callbacks=[report])
    return summarise(study, config, measured, echo)


def summarise(
    study, config: TuneConfig, measured: dict[str, Measurement], echo: Callable[[str], Any]
) -> TuneResult:
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        echo("no completed trials yet")
        return TuneResult(config.name(), 0, None, {}, None, measured)
    best = study.best_trial
    m = Measurement(**{k: best.user_attrs[k] for k in Measurement._fields})
    echo(f"best of {len(complete)} trials: trial {best.number}  {describe(m, config)}")
    echo(f"  {format_options(best.params)}")
    echo(f"  {train_command(config, best.params)}")
    for name, baseline in measured.items():
        echo(
            f"  vs {name:<10} {baseline.objective:>12,.0f} samples: "
            f"{baseline.objective / max(m.objective, 1.0):.2f}x as many as the best trial"
        )
    return TuneResult(config.name(), len(complete), best.number, dict(best.params), m, measured)
