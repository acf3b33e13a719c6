import numpy as np

from saeinit.cli import main
from saeinit.experiments import ResultStore, run_key
from saeinit.reports.fvu import write_fvu_report
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


def fill_store(tmp_path) -> ResultStore:
    data = tmp_path / "x.npz"
    rng = np.random.default_rng(0)
    np.savez(data, x=(rng.normal(size=(600, 6)) * rng.uniform(0, 3, size=(600, 1))).astype("f4"))
    store = ResultStore(tmp_path / "r.sqlite")
    store.set_meta("title", "tiny real-data report")
    store.set_meta("note", "A note.")
    for init in ("orthogonal", "data"):
        for seed in (0, 1):
            settings = {
                "data_file": str(data), "dict_size": 12, "init": init, "seed": seed,
                "max_steps": 20, "eval_every": 2, "log_every": 5, "target_fvu": 0.9,
                "batch_size": 32, "eval_samples": 64, "threads": 1, "progress": False,
                "lr": 0.01, "l1": 0.01, "save_under": str(tmp_path / "saes"),
            }  # fmt: skip
            config = config_from_settings(settings)
            store.add(run_key(config), settings, run(config).result)
    return store


def test_fvu_report_has_the_budget_table_figure_and_seed_mmcs(tmp_path, capsys):
    store = fill_store(tmp_path)
    path = write_fvu_report(store, tmp_path / "report")
    text = path.read_text()
    assert text.startswith("# tiny real-data report") and "A note." in text
    assert "| init | FVU at step 0 | FVU at 20 steps | dead fraction at 20 steps |" in text
    rows = [line for line in text.splitlines() if line.startswith("| orthogonal")]
    assert len(rows) == 2 and "(1 pairs)" in rows[0]  # the budget table, then checkpoints
    assert any(line.startswith("| data ") for line in text.splitlines())
    assert "| init | 20 steps |" in text  # checkpoints below the budget of 20: only the budget
    figures = list((tmp_path / "report").glob("*.png"))
    assert len(figures) == 1 and figures[0].name in text
    store.close()
    assert (
        main(["report", "--store", str(tmp_path / "r.sqlite"), "--out", str(tmp_path / "b")]) == 0
    )
    assert "FVU at 20 steps" in (tmp_path / "b" / "report.md").read_text()  # auto: fvu style


def test_empty_store(tmp_path):
    with ResultStore(tmp_path / "e.sqlite") as store:
        assert "no finished runs" in write_fvu_report(store, tmp_path / "out").read_text()


def test_runs_that_differ_in_a_setting_other_than_the_data_are_separate_groups():
    from saeinit.reports.fvu import group_runs

    def fake_run(seed, activations, **settings):
        info = {"model": "m", "hook_name": activations}
        config = {"init": {"init": "mod", "rare_ratio": 0.05}}
        result = {"config": config, "data_info": info}
        given = {"init": "mod", "seed": seed, "activations": activations} | settings
        return {"scenario": "128x256", "seed": seed, "settings": given, "result": result}

    runs = [fake_run(seed, layer, **extra) for seed in (0, 1) for layer in ("L2", "L4")
            for extra in ({}, {"encoder_init": "fitted"})]  # fmt: skip
    labels = sorted((group.data, group.label, len(r)) for group, r in group_runs(runs).items())
    assert labels == [
        ("m L2", "mod", 2),
        ("m L2", "mod [encoder_init=fitted]", 2),
        ("m L4", "mod", 2),
        ("m L4", "mod [encoder_init=fitted]", 2),
    ]
