"""`saeinit race`: a tiny race through the CLI, resumed, and its options refused in one line."""

import pytest

from saeinit.cli import main

TINY = ["--scenarios", "8x16", "--max-steps", "60", "--log-every", "20", "--workers", "2"]


def test_a_tiny_race_prints_its_table_writes_its_figure_and_resumes(tmp_path, capsys):
    out = tmp_path / "race"
    assert main(["race", *TINY, "--out", str(out)]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0] == (
        f"2 SAE runs: 0 from {out / 'race.sqlite'}, 2 to train (2 at a time, one torch thread each)"
    )
    assert first[2] == (
        "toy 8x16, seed 0; L1 0.3, batch 256; each run stops at 0.99 MMCS or after 60 steps"
    )
    ours = "modes+whitened"
    assert first[3].split() == ["orthogonal", ours, "orthogonal", "/", ours]
    labels = [line[:32].strip() for line in first[4:23]]
    assert labels == ["MMCS at the start", "MMCS at the end", "init seconds", "init samples"] + [
        label
        for threshold in ("0.95", "0.98", "0.99")
        for label in (
            f"{threshold} MMCS: samples (+init)",
            "training steps",
            "seconds (+init)",
            "stays from: samples (+init)",
            "stays from: s (+init)",
        )  # fmt: skip
    ]
    assert first[7].split()[-2:-1] == ["0"]  # orthogonal's init draws no samples
    assert first[-2] == f"wrote {out / 'race.png'}" and first[-1].startswith("race took ")
    assert (out / "race.png").read_bytes()[:4] == b"\x89PNG"

    assert main(["race", *TINY, "--out", str(out)]) == 0
    again = capsys.readouterr().out.splitlines()
    assert again[0] == f"2 SAE runs: 2 from {out / 'race.sqlite'}, 0 to train"
    assert again[1:-1] == first[1:-1]  # the same table from the stored runs


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--entries", "orthogonal"], "entries"),
        (["--entries", "orthogonal nope"], "entries"),
        (["--scenarios", "128"], "scenarios"),
        (["--seeds", "one"], "seeds"),
        (["--workers", "0"], "workers"),
        (["--sklearn-seconds", "-1"], "sklearn-seconds"),
        (["--log-every", "0"], "log-every"),
    ],
)
def test_bad_options_are_refused_in_one_line(args, option, tmp_path, capsys):
    assert main(["race", *args, "--out", str(tmp_path / "race")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"saeinit: error: --{option}: ") and err.count("\n") == 1
    assert not (tmp_path / "race").exists()


def test_outputs_that_cannot_be_written_are_refused_before_any_run(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")
    assert main(["race", *TINY, "--out", str(a_file)]) == 2
    assert capsys.readouterr().err.startswith("saeinit: error: --out: ")
    assert main(["race", *TINY, "--out", str(tmp_path / "r"), "--store", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("saeinit: error: --store: ")
    foreign = tmp_path / "race" / "race.sqlite"
    foreign.parent.mkdir()
    foreign.write_text("not a result store")
    assert main(["race", *TINY, "--out", str(foreign.parent)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("saeinit: error: --out: ") and err.count("\n") == 1
    assert foreign.read_text() == "not a result store"


def test_a_failed_run_exits_1_naming_it(tmp_path, capsys, monkeypatch):
    import saeinit.reports.race
    from saeinit.experiments.race import RaceFailed

    def fail(config, echo):
        raise RaceFailed("0123abcd {'init': 'orthogonal'}: ValueError: broken")

    monkeypatch.setattr(saeinit.reports.race, "race", fail)
    assert main(["race", *TINY, "--out", str(tmp_path / "race")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "failed: 0123abcd {'init': 'orthogonal'}: ValueError: broken"
    assert err[1].startswith("saeinit: the runs that finished are stored")


def test_a_race_holding_a_collapsed_run_says_so_and_exits_1_until_it_is_allowed(tmp_path, capsys):
    out = tmp_path / "race"
    args = ["race", *TINY, "--entries", "orthogonal modes", "--out", str(out)]
    assert main([*args, "--recipe", "lr=1"]) == 1
    captured = capsys.readouterr()
    collapsed = [line for line in captured.err.splitlines() if line.startswith("collapsed: ")]
    assert len(collapsed) == 1 and "the SAE had collapsed" in collapsed[0], collapsed
    assert captured.err.splitlines()[-1].startswith("saeinit: the table holds collapsed runs")
    assert "race took" in captured.out  # the table is printed all the same
    assert main([*args, "--recipe", "lr=1 allow_collapse=true"]) == 0
    assert capsys.readouterr().err == ""
