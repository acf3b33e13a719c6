"""`saeinit tune`: an Optuna study over a rare init's options, resumable from its SQLite file."""

import sqlite3

import optuna
import pytest

from saeinit.cli import main
from saeinit.config import ConfigError
from saeinit.experiments.tune import open_study, samples_to_target, suggest, tune
from saeinit.experiments.tune_config import TuneConfig
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings

TINY = dict(scenario="16x32", max_steps=150, seeds=1, baselines="orthogonal", bases="data,svd")
"""A study whose runs take a fraction of a second: 16x32, 150 steps, one seed."""


def tiny(tmp_path, **options) -> TuneConfig:
    return TuneConfig(
        **(TINY | {"init": "centroid", "study": str(tmp_path / "s.sqlite")} | options)
    )


def test_a_two_trial_study_completes_and_a_second_call_adds_trials(tmp_path):
    lines: list[str] = []
    first = tune(tiny(tmp_path, trials=2), echo=lines.append)
    assert first.trials == 2 and first.best_trial in (0, 1)
    assert set(first.best_params) == {
        "rare_ratio",
        "init_samples",
        "centroid_batch_size",
        "rare_base",
    }
    assert sum(line.startswith("trial ") for line in lines) == 2
    assert "measured in" in lines[1] and lines[-1].lstrip().startswith("vs orthogonal")

    lines.clear()
    second = tune(tiny(tmp_path, trials=2), echo=lines.append)
    assert second.trials == 4 and "2 trials done" in lines[0]
    assert "stored in the study" in lines[1]
    assert second.baselines == first.baselines
    assert second.best.objective <= first.best.objective
    trials = optuna.load_study(
        study_name=second.study_name, storage=f"sqlite:///{tmp_path / 's.sqlite'}"
    ).trials
    assert [t.number for t in trials] == [0, 1, 2, 3]
    params = [tuple(sorted(t.params.items())) for t in trials]
    assert len(set(params)) == 4  # the resumed sampler does not repeat the first points


def test_the_objective_is_the_samples_of_a_plain_run_with_the_best_options(tmp_path):
    config = tiny(tmp_path, trials=2, baselines="", target_mmcs=0.9, max_steps=300)
    result = tune(config, echo=lambda line: None)
    settings = config.run_settings() | result.best_params | {"seed": 0}
    direct = run(config_from_settings(settings)).result
    assert result.best.objective == samples_to_target(direct)
    assert result.best.reached == (direct["stopped"] == "target")


def test_samples_to_target_ranks_every_miss_after_every_hit():
    hit = samples_to_target({"stopped": "target", "samples": 2560, "mmcs_final": 0.99})
    near = samples_to_target({"stopped": "budget", "samples": 2560, "mmcs_final": 0.98})
    far = samples_to_target({"stopped": "budget", "samples": 2560, "mmcs_final": 0.5})
    assert hit == 2560 and near == pytest.approx(2560 * 1.02) and far == pytest.approx(3840)
    assert hit < near < far


def test_an_interrupted_trial_is_run_again_on_resume(tmp_path):
    config = tiny(tmp_path, trials=1, baselines="")
    study = open_study(config)
    interrupted = study.ask()
    options = suggest(interrupted, config)  # a process killed here leaves the trial running
    result = tune(config, echo=lambda line: None)
    trials = open_study(config).trials
    assert [t.state.name for t in trials] == ["FAIL", "COMPLETE"]
    assert trials[1].params == options and result.best_params == options


def test_a_file_that_is_not_a_study_is_refused_untouched(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database at all, just some text that is long enough")
    store = tmp_path / "results.sqlite"
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE runs (key TEXT)")
    for path in (text, store):
        before = path.read_bytes()
        with pytest.raises(ConfigError) as err:
            tune(tiny(tmp_path, study=str(path), trials=1), echo=lambda line: None)
        assert err.value.option == "study" and path.read_bytes() == before


def test_a_named_study_does_not_resume_with_other_settings(tmp_path):
    tune(tiny(tmp_path, trials=0, study_name="mine", baselines=""), echo=lambda line: None)
    with pytest.raises(ConfigError) as err:
        tune(tiny(tmp_path, trials=0, study_name="mine", max_steps=99), echo=lambda line: None)
    assert err.value.option == "study-name" and "other settings" in err.value.message


def test_tune_from_the_command_line(tmp_path, capsys):
    args = ["tune", "--init", "isolation", "--scenario", "16x32", "--max-steps", "100"]
    args += ["--seeds", "1", "--trials", "2", "--bases", "data", "--baselines", "orthogonal,data"]
    assert main([*args, "--study", str(tmp_path / "cli.sqlite")]) == 0
    out = capsys.readouterr().out
    assert out.count("\ntrial ") == 2 and "best of 2 trials" in out
    assert "--init isolation" in out and "vs data" in out and "vs orthogonal" in out


@pytest.mark.parametrize(
    "args,option",
    [
        (["--init", "svd"], "--init"),
        (["--seeds", "0"], "--seeds"),
        (["--bases", "centroid"], "--bases"),
    ],
)
def test_bad_tune_input_gives_one_line_and_exit_2(args, option, capsys):
    assert main(["tune", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err and "Traceback" not in err
