import pytest

from saeinit.experiments import ResultStore, grid_from_dict
from saeinit.experiments.sweep import sweep

ray = pytest.importorskip("ray")


def test_ray_executor_runs_a_tiny_grid_on_a_local_ray(tmp_path):
    spec = grid_from_dict(
        {
            "base": {"scenario": "8x16", "max_steps": 20, "eval_samples": 128},
            "axes": [{"init": ["orthogonal", "xavier"], "seed": [0, 1]}],
        }
    )
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with ResultStore(tmp_path / "r.sqlite") as store:
            summary = sweep(spec, store, executor="ray", progress=False)
            assert (summary.finished, summary.failed) == (4, [])
            runs = store.runs()
    finally:
        ray.shutdown()
    assert sorted((r["init"], r["seed"]) for r in runs) == [
        ("orthogonal", 0), ("orthogonal", 1), ("xavier", 0), ("xavier", 1),
    ]  # fmt: skip
    assert all(r["steps"] == 20 and r["result"]["threads"] == 1 for r in runs)
