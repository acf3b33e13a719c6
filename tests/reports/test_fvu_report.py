import numpy as np

from saeinit.cli import main
from saeinit.experiments import ResultStore, run_key
from saeinit.reports.fvu import fvu_groups, write_fvu_report
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings


def fill_store(tmp_path, **extra) -> ResultStore:
    """Two seeds each of orthogonal and data init on a small .npz dataset (or with `extra`
    settings, e.g. a toy scenario instead)."""
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
            } | extra  # fmt: skip
            settings = {name: value for name, value in settings.items() if value is not None}
            config = config_from_settings(settings)
            store.add(run_key(config), settings, run(config).result)
    return store


def test_fvu_report_has_the_budget_table_figure_and_seed_mmcs(tmp_path, capsys):
    store = fill_store(tmp_path)
    path = write_fvu_report(store, tmp_path / "report")
    text = path.read_text()
    assert text.startswith("# tiny real-data report") and "A note." in text
    assert f"\n\n## npz:{tmp_path / 'x.npz'}\n\n" in text  # named by its data
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


def test_toy_runs_are_named_by_their_scenario_stored_before_the_rename_or_after(
    tmp_path, rewrite_stored_configs
):
    store = fill_store(tmp_path, data_file=None, scenario="8x16")
    text = write_fvu_report(store, tmp_path / "new").read_text()
    store.close()
    assert "\n\n## 8x16\n\n" in text and "toy data" not in text
    rewrite_stored_configs(tmp_path / "r.sqlite")  # as stored before the toy rename
    with ResultStore(tmp_path / "r.sqlite") as old:
        assert write_fvu_report(old, tmp_path / "old").read_text() == text


def test_runs_that_differ_in_a_setting_other_than_the_data_are_separate_groups():
    def fake_run(seed, activations, **settings):
        info = {"model": "m", "hook_name": activations}
        result = {"config": {"init": {"init": "mod", "rare_ratio": 0.05}}, "data_info": info}
        given = {"init": "mod", "seed": seed, "activations": activations} | settings
        run = {"scenario": "128x256", "init": "mod", "rare_ratio": None, "seed": seed}
        return run | {"settings": given, "result": result}

    runs = [fake_run(seed, layer, **extra) for seed in (0, 1) for layer in ("L4", "L2")
            for extra in ({"encoder_init": "fitted"}, {})]  # fmt: skip
    groups = fvu_groups(runs)
    assert [(c.scenario, c.label, [r["seed"] for r in group]) for c, group in groups.items()] == [
        ("m L2", "mod", [0, 1]),
        ("m L2", "mod [encoder_init=fitted]", [0, 1]),
        ("m L4", "mod", [0, 1]),
        ("m L4", "mod [encoder_init=fitted]", [0, 1]),
    ]
