"""The default thread count: parsing /proc/loadavg and choosing from it, on hand-made texts."""

from __future__ import annotations

import pytest

from saeinit.cpu import (
    busy_cores,
    busy_from_loadavg,
    choose_threads,
    read_loadavg,
    runnable_tasks,
)

# 1-minute load 1.31 (a job that just ended) but only this process runnable now.
JUST_ENDED = "1.31 0.62 0.40 1/82 15250\n"
ONE_OTHER = "1.02 1.00 0.97 2/90 15300\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        (JUST_ENDED, 1),
        (ONE_OTHER, 2),
        ("0.00 0.01 0.05 12/1034 99999", 12),
        ("", None),
        ("0.00 0.01 0.05", None),
        ("0.00 0.01 0.05 x/104 1", None),
        ("0.00 0.01 0.05 3-104 1", None),
        ("0.00 0.01 0.05 3/ 1", None),
    ],
)
def test_runnable_tasks_reads_the_fourth_field(text, expected):
    assert runnable_tasks(text) == expected


def test_busy_subtracts_this_process_and_takes_the_median():
    assert busy_from_loadavg([JUST_ENDED]) == 0
    assert busy_from_loadavg([ONE_OTHER]) == 1
    # A task that wakes for one reading does not count.
    spike = "0.10 0.10 0.10 5/90 1"
    assert busy_from_loadavg([JUST_ENDED, spike, JUST_ENDED, JUST_ENDED, spike]) == 0
    assert busy_from_loadavg(["garbage", ONE_OTHER]) == 1
    assert busy_from_loadavg([]) is None
    assert busy_from_loadavg(["garbage"]) is None
    # A count of 0 (another kernel's convention) is not negative.
    assert busy_from_loadavg(["0.0 0.0 0.0 0/10 1"]) == 0


@pytest.mark.parametrize(
    "cores, busy, expected",
    [(2, 0, 2), (2, 1, 1), (2, 2, 1), (2, 7, 1), (8, 3, 5), (2, 0.4, 2), (2, 1.31, 1), (1, 0, 1)],
)
def test_choose_threads(cores, busy, expected):
    assert choose_threads(cores, busy) == expected


def test_a_job_that_just_ended_leaves_its_core_free():
    """The issue's case: the load average says one core is busy, the runnable count says none."""
    busy = busy_cores(read=lambda: [JUST_ENDED] * 5, load_average=lambda: (1.31, 0.62, 0.40))
    assert busy == 0
    assert choose_threads(2, busy) == 2


def test_without_proc_the_load_average_is_used():
    assert busy_cores(read=lambda: [], load_average=lambda: (1.31, 0.6, 0.4)) == 1.31
    assert busy_cores(read=lambda: ["unparsable"], load_average=lambda: (0.2, 0, 0)) == 0.2

    def unavailable():
        raise OSError("no load average")

    assert busy_cores(read=lambda: [], load_average=unavailable) == 0


def test_read_loadavg_gives_the_texts_or_nothing(tmp_path, monkeypatch):
    path = tmp_path / "loadavg"
    path.write_text(ONE_OTHER)
    monkeypatch.setattr("saeinit.cpu.LOADAVG", str(path))
    assert read_loadavg(reads=3, gap=0) == [ONE_OTHER] * 3
    monkeypatch.setattr("saeinit.cpu.LOADAVG", str(tmp_path / "missing"))
    assert read_loadavg(reads=3, gap=0) == []
