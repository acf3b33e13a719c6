"""A failure never looks like a success, and output locations are checked before any work."""

import json

import pytest

from saeinit.cli import main


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def forbid(monkeypatch, target: str) -> None:
    """Make the command's computation fail the test if the command reaches it."""

    def reached(*args, **kwargs):
        raise AssertionError(f"{target} ran before the output location was checked")

    monkeypatch.setattr(target, reached)


# Exit codes


def test_sweep_exits_1_when_a_run_fails(tmp_path, capsys):
    # An empty --start-from folder passes the grid check (it exists) and fails at run time.
    (tmp_path / "no-sae").mkdir()
    grid = tmp_path / "grid.toml"
    grid.write_text(
        '[base]\nscenario = "16x32"\nmax_steps = 50\neval_samples = 128\nprogress = false\n'
        "[[axes]]\ncoef_max = [1.0]\n"
        f"[[axes]]\nstart_from = [{json.dumps(str(tmp_path / 'no-sae'))}]\n"
    )
    store = tmp_path / "r.sqlite"
    assert main(["sweep", str(grid), "--store", str(store), "--workers", "2"]) == 1
    captured = capsys.readouterr()
    assert "1 finished now, 1 failed" in captured.out
    assert "failed:" in captured.err and "start-from" in captured.err


@pytest.mark.parametrize("failed, collapsed", [(["k1 ..."], []), ([], ["k2 ..."])])
def test_reproduce_writes_the_report_and_exits_1_when_a_run_fails_or_collapses(
    tmp_path, capsys, monkeypatch, failed, collapsed
):
    from saeinit.experiments import ResultStore
    from saeinit.experiments.sweep import SweepSummary

    def summary(spec, store_path, *args) -> SweepSummary:
        ResultStore(store_path).close()  # the sweep made the store; one run failed or collapsed
        return SweepSummary(2, 0, 1, failed, collapsed)

    monkeypatch.setattr("saeinit.cli.grids.run_sweep", summary)
    assert main(["reproduce", "--out", str(tmp_path / "r")]) == 1
    assert (tmp_path / "r" / "report.md").exists()
    left_out = "1 failed run(s) left out of the report" in capsys.readouterr().err
    assert left_out == bool(failed)  # a collapsed run is stored, so not left out


def test_an_eof_error_is_an_error_not_an_interrupt(tmp_path, capsys, monkeypatch, tiny_cli):
    def ends(config):
        raise EOFError("No data left in file")

    monkeypatch.setattr("saeinit.training.run.run", ends)
    assert main(["train", *tiny_cli]) == 1
    line = one_line(capsys.readouterr().err)
    assert "No data left in file" in line and "aborted" not in line


def test_a_keyboard_interrupt_is_aborted_with_130(capsys, monkeypatch, tiny_cli):
    def interrupted(config):
        raise KeyboardInterrupt

    monkeypatch.setattr("saeinit.training.run.run", interrupted)
    assert main(["train", *tiny_cli]) == 130
    assert capsys.readouterr().err.strip() == "aborted"


# Output locations, checked before the work (a regular file stands in the way of each, which
# also works as root, where permissions do not stop a write)


@pytest.fixture
def blocked(tmp_path):
    """A path whose parent folder cannot be created: a regular file is in the way."""
    (tmp_path / "file").write_text("")
    return tmp_path / "file" / "sub"


@pytest.mark.parametrize(
    "command,option,computation",
    [
        (["train", "--json", "{b}/r.json"], "--json", "saeinit.training.run.run"),
        (["train", "--save", "{b}/sae"], "--save", "saeinit.training.run.run"),
        (["data", "--out", "{b}/x.npz"], "--out", "saeinit.data.toy.ToyData"),
        (
            ["report", "--store", "{store}", "--out", "{b}/rep"],
            "--out",
            "saeinit.reports.write_report",
        ),
        (["reproduce", "--out", "{b}/rep"], "--out", "saeinit.cli.grids.run_sweep"),
        (["sweep", "{grid}", "--store", "{b}/r.sqlite"], "--store", "saeinit.cli.grids.run_sweep"),
        (["tune", "--study", "{b}/t.sqlite"], "--study", "saeinit.experiments.tune.tune"),
        (
            ["collect", "--corpus", "{corpus}", "--out", "{b}/acts"],
            "--out",
            "saeinit.data.activations.collect",
        ),
    ],
)
def test_an_unwritable_output_is_refused_before_the_work(
    tmp_path, blocked, sentences_file, capsys, monkeypatch, command, option, computation
):
    forbid(monkeypatch, computation)
    grid, store = tmp_path / "grid.toml", tmp_path / "store.sqlite"
    grid.write_text('[base]\nscenario = "8x16"\n')
    store.write_bytes(b"")
    paths = {"b": blocked, "grid": grid, "store": store, "corpus": sentences_file}
    args = [word.format(**paths) for word in command]
    assert main(args) == 2
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert line.startswith(f"saeinit: error: {option}: ") and "is a file, not a folder" in line
    assert captured.out == ""


def test_a_missing_json_folder_is_created(tmp_path, tiny_cli):
    out = tmp_path / "new" / "dir" / "r.json"
    assert main(["train", *tiny_cli, "--max-steps", "2", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["steps"] == 2


def test_data_writes_into_a_missing_folder_and_prints_the_real_path(tmp_path, capsys):
    base = ["data", "--scenario", "8x16", "--samples", "20"]
    assert main([*base, "--out", str(tmp_path / "a" / "b" / "x.npz")]) == 0
    assert (tmp_path / "a" / "b" / "x.npz").exists()
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "noext")]) == 0
    assert capsys.readouterr().out.strip().endswith(f"to {tmp_path / 'noext.npz'}")
    assert (tmp_path / "noext.npz").exists() and not (tmp_path / "noext").exists()


def test_save_over_a_saved_sae_needs_overwrite(tmp_path, capsys, tiny_cli):
    save = ["--save", str(tmp_path / "sae")]
    train = ["train", *tiny_cli, "--max-steps", "2"]
    assert main([*train, *save]) == 0
    weights = (tmp_path / "sae" / "sae_weights.safetensors").read_bytes()
    capsys.readouterr()
    assert main([*train, *save, "--seed", "1"]) == 2
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert "--save" in line and "--overwrite" in line and captured.out == ""
    assert (tmp_path / "sae" / "sae_weights.safetensors").read_bytes() == weights
    assert main([*train, *save, "--seed", "1", "--overwrite"]) == 0
    assert (tmp_path / "sae" / "sae_weights.safetensors").read_bytes() != weights


def test_reproduce_refuses_zero_workers_before_creating_its_folder(tmp_path, capsys):
    assert main(["reproduce", "--out", str(tmp_path / "r"), "--workers", "0"]) == 2
    assert "--workers" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "r").exists()


# Settings that would be ignored or make no sense


def test_threads_above_the_cores_are_capped_with_a_note(tmp_path, capsys, tiny_cli):
    from saeinit.cpu import allowed_cores

    out = tmp_path / "r.json"
    args = ["train", *tiny_cli, "--max-steps", "2", "--json", str(out)]
    assert main([*args, "--threads", "1000"]) == 0
    note = one_line(capsys.readouterr().err)
    assert "--threads 1000" in note and f"using {allowed_cores()}" in note
    assert json.loads(out.read_text())["threads"] == allowed_cores()


@pytest.mark.parametrize("init", [["--init", "data"], ["--encoder-init", "tied"]])
def test_an_init_with_start_from_is_refused(tmp_path, capsys, tiny_cli, init):
    train = ["train", *tiny_cli, "--max-steps", "2"]
    assert main([*train, "--save", str(tmp_path / "sae")]) == 0
    capsys.readouterr()
    assert main([*train, "--start-from", str(tmp_path / "sae"), *init]) == 2
    captured = capsys.readouterr()
    assert init[0] in one_line(captured.err) and "--start-from" in captured.err
    assert captured.out == ""
    assert main([*train, "--start-from", str(tmp_path / "sae")]) == 0


def test_a_batch_above_the_dataset_size_is_refused(tmp_path, capsys, tiny_cli):
    train = ["train", *tiny_cli, "--max-steps", "2", "--dataset-size", "100"]
    assert main(train) == 2  # the default batch of 256 would be silently cut to 100
    captured = capsys.readouterr()
    assert one_line(captured.err).startswith("saeinit: error: --batch-size: 256 is above")
    assert captured.out == ""
    assert main([*train, "--batch-size", "100"]) == 0
    assert "batch 100" in capsys.readouterr().out


# Errors name the argument or option they are about


def test_compare_and_evaluate_errors_name_their_argument(tmp_path, capsys, tiny_cli):
    saved = tmp_path / "sae"
    assert main(["train", *tiny_cli, "--max-steps", "2", "--save", str(saved)]) == 0
    wide = tmp_path / "wide"
    args = ["train", "--scenario", "4x8", "--threads", "1", "--no-progress", "--max-steps", "2"]
    assert main([*args, "--eval-samples", "64", "--save", str(wide)]) == 0
    capsys.readouterr()
    missing = str(tmp_path / "none")
    for args, name in [
        (["compare", missing, str(saved)], "SAE_A"),
        (["compare", str(saved), missing], "SAE_B"),
        (["compare", str(saved), str(wide)], "SAE_B"),
        (["evaluate", missing, "--activations", str(tmp_path)], "SAE_DIR"),
    ]:
        assert main(args) == 2
        line = one_line(capsys.readouterr().err)
        assert f"'{name}'" in line and "--sae" not in line, line


def test_start_from_errors_name_start_from(tmp_path, capsys, tiny_cli):
    assert main(["train", *tiny_cli, "--start-from", str(tmp_path / "none")]) == 2
    assert one_line(capsys.readouterr().err).startswith("saeinit: error: --start-from: ")
