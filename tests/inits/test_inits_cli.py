"""The new inits through the command line: each trains, and each bad input is one line, exit 2."""

import json

import pytest
import torch

import saeinit.training.run as run_module
from saeinit import inits
from saeinit.cli import main

TINY = ["--scenario", "8x16", "--threads", "1", "--no-progress", "--eval-samples", "256"]


@pytest.mark.parametrize("init", ["data", "svd", "average", "centroid", "outliers"])
def test_each_init_trains_and_records_its_time(init, tmp_path, capsys):
    out = tmp_path / "r.json"
    args = [*TINY, "--init", init, "--rare-ratio", "0.25", "--init-samples", "600"]
    assert (
        main(["train", *args, "--lof-neighbors", "50", "--max-steps", "2", "--json", str(out)]) == 0
    )
    result = json.loads(out.read_text())
    assert result["config"]["init"]["init"] == init and result["init_seconds"] > 0
    assert result["mmcs_initial"] > 0.4  # data-informed atoms start well above random ones


def test_inits_lists_every_init_of_the_seed_post(capsys):
    assert main(["inits"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    names = [line.split()[0] for line in lines]
    assert names == inits.names()
    assert set(names) >= {"orthogonal", "xavier", "data", "svd", "average", "centroid", "outliers"}


@pytest.mark.parametrize(
    "args,option",
    [
        (["--init", "average", "--rare-ratio", "1.5"], "--rare-ratio"),
        (["--init", "average", "--rare-ratio", "-0.1"], "--rare-ratio"),
        (["--init", "outliers", "--rare-ratio", "0.01"], "--rare-ratio"),  # round(0.16) = 0
        (["--init", "centroid", "--rare-ratio", "0"], "--rare-ratio"),
        (
            ["--init", "outliers", "--init-samples", "200", "--lof-neighbors", "200"],
            "--lof-neighbors",
        ),
        (["--init", "centroid", "--rare-ratio", "1", "--init-samples", "10"], "--init-samples"),
        (["--init", "average", "--rare-base", "nope"], "--rare-base"),
        (["--init", "average", "--rare-base", "outliers"], "--rare-base"),
        (["--init", "svd", "--svd-fill", "both"], "--svd-fill"),
        (["--init", "svd", "--init-samples", "0"], "--init-samples"),
        (["--init", "centroid", "--centroid-batch-size", "0"], "--centroid-batch-size"),
        (["--init", "outliers", "--lof-neighbors", "0"], "--lof-neighbors"),
    ],
)
def test_bad_init_input_gives_one_line_and_exit_2(args, option, capsys):
    assert main(["train", *TINY, "--max-steps", "1", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err and "Traceback" not in err


@pytest.mark.parametrize("init", ["data", "svd", "average", "centroid", "outliers"])
def test_init_sample_with_nan_gives_one_line_and_exit_2(init, monkeypatch, capsys):
    make_source = run_module.make_source

    def nan_source(config):
        source = make_source(config)
        return source._replace(draw=lambda n: torch.full((n, source.dim), float("nan")))

    monkeypatch.setattr(run_module, "make_source", nan_source)
    assert main(["train", *TINY, "--max-steps", "1", "--init", init]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--init-samples" in err and "NaN" in err
