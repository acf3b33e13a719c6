"""benchmarks/retention.py: seeds in the store keys, the report's medians over seeds, and
the recipe constants a run may change."""

import importlib.util
from pathlib import Path

from saeinit.training.settings import config_from_settings, run_key

PATH = Path(__file__).parents[2] / "benchmarks" / "retention.py"
SPEC = importlib.util.spec_from_file_location("retention_benchmark", PATH)
retention = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(retention)


class FakeStore:
    """history(key) from a dict of key -> rows."""

    def __init__(self, rows: dict[str, list[dict]]):
        self.rows = rows

    def history(self, key: str) -> list[dict]:
        return self.rows.get(key, [])


def rows(live: list[float], l0: float = 8.0, dead: int = 20) -> list[dict]:
    steps = [0, 500, 2_000, 5_000, 10_000, 20_000]
    return [
        {"step": s, "live_mmcs": v, "mmcs": v, "l0": l0, "dead": dead}
        for s, v in zip(steps, live, strict=True)
    ]


def test_seed_zero_keeps_the_key_of_a_run_without_seed():
    (cell,) = retention.cells(["128x512"], ["reference"], retention.QUICK_SAMPLES)
    unseeded = {k: v for k, v in cell.settings.items() if k != "seed"}
    assert cell.key == run_key(config_from_settings(unseeded))


def test_each_seed_is_its_own_run():
    runs = retention.cells(["128x512"], ["reference"], retention.QUICK_SAMPLES, seeds=(0, 1, 2))
    assert [cell.seed for cell in runs] == [0, 1, 2]
    assert len({cell.key for cell in runs}) == 3


def test_knobs_change_only_their_settings():
    samples = retention.QUICK_SAMPLES
    (base,) = retention.cells(["128x1024"], ["slow-decoder+schedules"], samples)
    knobs = retention.Knobs(decoder_lr_scale=0.03, l1_warmup_fraction=0.25, batch=1024)
    (cell,) = retention.cells(["128x1024"], ["slow-decoder+schedules"], samples, knobs)
    steps = samples // 1024
    assert cell.settings["max_steps"] == steps and cell.settings["batch_size"] == 1024
    assert cell.settings["decoder_lr_scale"] == 0.03
    assert cell.settings["l1_warmup_steps"] == round(0.25 * steps)
    assert cell.settings["lr_warmup_steps"] == round(0.05 * steps)
    assert base.settings["decoder_lr_scale"] == retention.DECODER_LR_SCALE
    assert "batch_size" not in base.settings
    assert retention.describe(retention.DEFAULTS) == "recipes' constants: the defaults"
    assert "decoder_lr_scale 0.03" in retention.describe(knobs)


def test_report_gives_median_and_range_over_the_seeds_present():
    runs = retention.cells(
        ["128x512"], ["reference", "slow-decoder"], retention.FULL_SAMPLES, seeds=(0, 1, 2)
    )
    ref = [cell.key for cell in runs if cell.recipe == "reference"]
    slow = [cell.key for cell in runs if cell.recipe == "slow-decoder"]
    store = FakeStore(
        {
            ref[0]: rows([1.0, 0.90, 0.95, 0.96, 0.97, 0.97], dead=10),
            ref[1]: rows([1.0, 0.80, 0.93, 0.95, 0.96, 0.99], dead=30),
            ref[2]: rows([1.0, 0.85, 0.94, 0.94, 0.95, 0.98], dead=21),
            slow[1]: rows([1.0, 0.99, 0.99, 0.99, 0.99, 0.96]),  # seeds 0 and 2 not run
        }
    )
    lines = retention.table(store, runs, "128x512")
    reference = next(line for line in lines if line.startswith("reference"))
    cells = reference.split(" | ")
    assert cells[1] == "0,1,2"
    assert cells[3] == "0.8500 [0.8000, 0.9000]"  # @500
    assert cells[9] == "0.8500 [0.8000, 0.9000]"  # lowest live after step 0
    assert cells[10] == "0.9800 [0.9700, 0.9900]"  # live MMCS at the end
    assert cells[-1] == "21 [10, 30]"
    slow_line = next(line for line in lines if line.startswith("slow-decoder"))
    assert slow_line.split(" | ")[1] == "1" and "[" not in slow_line
    assert retention.best(store, runs, "128x512") == (
        "128x512: reference keeps live MMCS 0.9800 (from 1.0000 at step 0; median of 3 seeds)"
    )
    assert retention.best(FakeStore({}), runs, "128x512") == "128x512: nothing run yet"
