"""A collapsed run is said so in one line, marked in its result and store, and exits 1
unless --allow-collapse (or `allow_collapse` in a grid) keeps it."""

import json
import sqlite3

import pytest

from saeinit.cli import main

COLLAPSING = [
    ["--lr", "1"],
    ["--lr", "1", "--architecture", "topk", "--k", "4"],
    ["--architecture", "jumprelu", "--jumprelu-init-threshold", "1e6"],
    ["--encoder-init", "whitened", "--encoder-sigmas", "1e6"],
]
"""The issue's runs: each ends with at most one latent firing on 1 sample in 100."""
TRAIN = ["train", "--scenario", "16x32", "--max-steps", "100", "--threads", "1", "--no-progress"]


def error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("options", COLLAPSING)
def test_a_collapsed_run_exits_1_and_its_result_says_why(tmp_path, capsys, options):
    out = tmp_path / "r.json"
    assert main([*TRAIN, *options, "--json", str(out)]) == 1
    captured = capsys.readouterr()
    line = error_line(captured.err)
    assert line.startswith("saeinit: training collapsed: by step 100 the SAE had collapsed")
    assert "--allow-collapse" in line
    result = json.loads(out.read_text())
    assert result["collapsed"] in line and f"collapsed: {result['collapsed']}" in captured.out


def test_allow_collapse_keeps_the_run_with_exit_0_and_the_mark(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main([*TRAIN, "--lr", "1", "--allow-collapse", "--json", str(out)]) == 0
    assert capsys.readouterr().err == ""
    assert json.loads(out.read_text())["collapsed"].startswith("by step 100")


def test_a_healthy_run_is_not_marked(tmp_path):
    out = tmp_path / "r.json"
    assert main([*TRAIN, "--json", str(out)]) == 0
    assert json.loads(out.read_text())["collapsed"] is None


def test_init_of_an_sae_whose_latents_never_fire_exits_1(tmp_path, capsys):
    args = ["init", "--scenario", "16x32", "--threads", "1", "--no-progress", *COLLAPSING[3]]
    assert main([*args, "--save", str(tmp_path / "sae")]) == 1
    assert "by step 0 the SAE had collapsed: L0 0 " in error_line(capsys.readouterr().err)
    assert json.loads((tmp_path / "sae" / "init.json").read_text())["collapsed"]


def test_a_sweep_stores_a_collapsed_run_marked_and_exits_1_until_it_is_allowed(tmp_path, capsys):
    grid, store = tmp_path / "grid.toml", tmp_path / "r.sqlite"
    base = 'scenario = "16x32"\nmax_steps = 60\neval_samples = 128\nprogress = false\nlr = 1.0\n'
    grid.write_text(f"[base]\n{base}")
    sweep = ["sweep", str(grid), "--store", str(store), "--workers", "1"]
    assert main(sweep) == 1
    captured = capsys.readouterr()
    assert "1 finished now, 0 failed, 1 collapsed" in captured.out
    assert "collapsed: " in captured.err and "allow_collapse = true" in captured.err
    with sqlite3.connect(store) as db:
        [(why,)] = db.execute("SELECT collapsed FROM runs").fetchall()
    assert why.startswith("by step 60 the SAE had collapsed")
    assert main(sweep) == 1  # stored and skipped, still collapsed
    assert "1 already stored, 0 finished now, 0 failed, 1 collapsed" in capsys.readouterr().out
    grid.write_text(f"[base]\n{base}allow_collapse = true\n")
    assert main(sweep) == 0  # the same run (allow_collapse changes no number), now allowed
    assert "1 already stored, 0 finished now, 0 failed, 0 collapsed" in capsys.readouterr().out
