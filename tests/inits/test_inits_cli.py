"""The informed inits through the command line: each trains, and bad input is one line, exit 2.
test_contracts.py checks every option's refusal and every init's refusal of non-finite samples
without the CLI; here a few cases show how they reach the user."""

import json

import pytest
import torch

import saeinit.training.run as run_module
from saeinit import inits
from saeinit.cli import main

INFORMED = ["data", "svd", "average", "centroid", "mixture", "outliers", "isolation"]


@pytest.mark.parametrize("init", INFORMED)
def test_each_init_trains_and_records_its_time(init, tmp_path, tiny_cli, capsys):
    out = tmp_path / "r.json"
    args = [*tiny_cli, "--init", init, "--rare-ratio", "0.25", "--init-samples", "600"]
    assert (
        main(["train", *args, "--lof-neighbors", "50", "--max-steps", "2", "--json", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert f"init {init}" in printed and "MMCS" in printed
    result = json.loads(out.read_text())
    assert result["config"]["init"]["init"] == init and result["init_seconds"] > 0
    assert result["mmcs_initial"] > 0.4  # data-informed atoms start well above random ones


def test_inits_lists_every_init_of_the_seed_post(capsys):
    assert main(["inits"]) == 0
    dictionary_inits = capsys.readouterr().out.split("\n\n")[0].splitlines()
    names = [line.split()[0] for line in dictionary_inits]
    assert names == inits.names()
    assert set(names) >= {"orthogonal", "xavier", "data", "svd", "average", "centroid", "outliers"}


@pytest.mark.parametrize(
    "args,option",
    [
        # refused by the config, before any data is drawn
        (["--init", "average", "--rare-ratio", "1.5"], "--rare-ratio"),
        (["--init", "svd", "--svd-fill", "both"], "--svd-fill"),
        (["--init", "average", "--rare-base", "outliers"], "--rare-base"),
        (["--init", "isolation", "--isolation-trees", "0"], "--isolation-trees"),
        # refused by the init, on its sample
        (["--init", "outliers", "--rare-ratio", "0.01"], "--rare-ratio"),  # round(0.16) = 0
        (
            ["--init", "outliers", "--init-samples", "200", "--lof-neighbors", "200"],
            "--lof-neighbors",
        ),
        (["--init", "centroid", "--rare-ratio", "1", "--init-samples", "10"], "--init-samples"),
        (["--init", "mixture", "--rare-ratio", "1", "--init-samples", "10"], "--init-samples"),
    ],
)
def test_bad_init_input_gives_one_line_and_exit_2(args, option, capsys, tiny_cli):
    assert main(["train", *tiny_cli, "--max-steps", "1", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err and "Traceback" not in err


@pytest.mark.parametrize("init", ["data", "average"])
def test_init_sample_with_nan_gives_one_line_and_exit_2(init, monkeypatch, capsys, tiny_cli):
    make_source = run_module.make_source

    def nan_source(config):
        source = make_source(config)
        return source._replace(draw=lambda n: torch.full((n, source.dim), float("nan")))

    monkeypatch.setattr(run_module, "make_source", nan_source)
    assert main(["train", *tiny_cli, "--max-steps", "1", "--init", init]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--init-samples" in err and "NaN" in err
