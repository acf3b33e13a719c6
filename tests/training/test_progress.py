import io
import re
import time

from saeinit.training.progress import Progress, StageLog
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


def test_a_log_without_a_terminal_gets_a_progress_line_every_few_seconds(
    easy_run, capsys, monkeypatch
):
    from saeinit.training import progress

    # stderr captured by pytest is no terminal; 500 steps with MMCS checked at every one
    start = time.perf_counter()
    easy_run(max_steps=500, eval_every=1, progress=True, target_mmcs=0.999)
    seconds = time.perf_counter() - start
    err = capsys.readouterr().err
    assert "\r" not in err
    assert len(err.splitlines()) <= seconds / progress.LOG_INTERVAL + 1
    # with a short interval the lines come, each saying where training stands
    monkeypatch.setattr(progress, "LOG_INTERVAL", 0.02)
    start = time.perf_counter()
    easy_run(max_steps=300, eval_every=1, progress=True, target_mmcs=0.999)
    seconds = time.perf_counter() - start
    lines = capsys.readouterr().err.splitlines()
    assert 1 <= len(lines) <= seconds / 0.02 + 1
    assert all(
        re.fullmatch(r"step \d+/300 \(\d+%\)  mmcs [\d.]+  loss \S+  \d+ s", line) for line in lines
    )
    # --no-progress: nothing
    easy_run(max_steps=300, eval_every=1, progress=False, target_mmcs=0.999)
    assert capsys.readouterr().err == ""


def test_a_terminal_gets_the_progress_bar():

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = Progress(100, stream=terminal)
    assert bar.bar is not None
    bar.update(50, mmcs="0.5000")
    bar.close()
    assert "50/100" in terminal.getvalue() and "mmcs=0.5000" in terminal.getvalue()
    log = io.StringIO()
    lines = Progress(100, stream=log, interval=0.0)
    lines.update(50, mmcs="0.5000")
    assert lines.bar is None and log.getvalue().startswith("step 50/100 (50%)  mmcs 0.5000  ")


def test_a_stage_log_reports_only_the_stages_reached_after_its_quiet_seconds():
    log = io.StringIO()
    stages = StageLog("init mod", stream=log, quiet=0.05)
    stages("round 1/2")  # at once: quiet
    time.sleep(0.06)
    stages("round 2/2")
    assert re.fullmatch(r"init mod: round 2/2  0 s\n", log.getvalue())
    silent = io.StringIO()
    disabled = StageLog("init mod", enabled=False, stream=silent, quiet=0.0)
    disabled("round 1/2")
    assert silent.getvalue() == ""


def test_a_long_init_reports_mod_rounds_and_the_encoder_unless_progress_is_off(capsys, monkeypatch):
    from saeinit.training import progress

    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)  # every init counts as long
    settings = dict(scenario="8x16", init="mod", mod_iters=2, omp_k=2, max_steps=0, threads=1)
    settings |= dict(encoder_init="fitted")
    run(config_from_settings(settings | {"progress": True}))
    lines = [re.sub(r"  \d+ s$", "", line) for line in capsys.readouterr().err.splitlines()]
    assert lines == [
        "init mod: round 1/2",
        "init mod: round 2/2",
        "init mod: 16 atoms",
        "init mod: encoder fitted",
    ]
    run(config_from_settings(settings | {"progress": False}))
    assert capsys.readouterr().err == ""
