import io
import re
import time

from saeinit.training.progress import Progress


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
