"""benchmarks/device_agreement.py: one init on two devices, from the same dataset file."""

import importlib.util
from pathlib import Path

PATH = Path(__file__).parents[2] / "benchmarks" / "device_agreement.py"
SPEC = importlib.util.spec_from_file_location("device_agreement_benchmark", PATH)
device_agreement = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(device_agreement)


def test_the_cpu_against_itself_gives_the_same_atoms_and_encoders():
    argv = ["--device", "cpu", "--scenario", "8x16", "--samples", "2048"]
    lines = device_agreement.main(argv + ["--inits", "data", "mod", "--encoders", "fitted"])
    assert lines[:2] == ["8x16, 2,048 samples, cpu against cpu", device_agreement.HEADER]
    rows = [line.split() for line in lines[2:]]
    assert [r[:2] for r in rows] == [["data", "default"], ["mod", "default"], ["data", "fitted"]]
    for r in rows:
        assert r[4] == r[5]  # the same MMCS on both
        assert 0.0 < float(r[4]) <= 1.0
        assert r[6:] == ["1.0000", "0.00e+00"]  # the same atoms and encoder weights
    assert float(rows[1][4]) > float(rows[0][4])  # mod refines the data init's atoms


def test_a_case_that_fails_is_one_line_and_the_others_still_run(monkeypatch):
    built = device_agreement.start

    def start(data, atoms, init, encoder, device):
        if init == "mod":
            raise RuntimeError("CUDA error: out of memory\nthe traceback's second line")
        return built(data, atoms, init, encoder, device)

    monkeypatch.setattr(device_agreement, "start", start)
    argv = ["--device", "cpu", "--scenario", "8x16", "--samples", "2048"]
    lines = device_agreement.main(argv + ["--inits", "mod", "data", "--encoders", "tied"])
    assert lines[2].split() == ["mod", "default", "failed:", "RuntimeError:", "CUDA", "error:",
                                "out", "of", "memory"]  # fmt: skip
    assert [line.split()[:2] for line in lines[3:]] == [["data", "default"], ["data", "tied"]]
    assert lines[3].split()[6] == "1.0000"
