import pytest

from saeinit.config import ConfigError
from saeinit.experiments import GridSpec, grid_from_dict, load_grid, run_key
from saeinit.training.settings import config_from_settings


def test_blocks_expand_as_cartesian_products_and_union():
    spec = grid_from_dict(
        {
            "base": {"scenario": "8x16", "max_steps": 5},
            "axes": [
                {"init": ["orthogonal", "xavier"], "seed": [0, 1, 2]},
                {"init": ["centroid"], "rare_ratio": [0.25, 0.5], "seed": [0]},
            ],
        }
    )
    points = spec.points()
    assert len(points) == 2 * 3 + 2
    assert len({p.key for p in points}) == len(points)
    assert {p.config.init.init for p in points} == {"orthogonal", "xavier", "centroid"}
    assert all(p.config.toy.dim == 8 and p.config.train.max_steps == 5 for p in points)


def test_duplicate_points_collapse_to_one_run():
    spec = GridSpec(axes=[{"seed": [0, 0]}, {"seed": [0], "l1": [0.1]}])  # 0.1 is the default
    assert len(spec.points()) == 1


def test_keys_are_stable_and_depend_on_every_result_setting():
    base = config_from_settings({"scenario": "8x16"})
    assert run_key(base) == run_key(config_from_settings({"scenario": "8x16"}))
    assert run_key(base) != run_key(config_from_settings({"scenario": "8x16", "lr": 0.002}))
    assert run_key(base) != run_key(config_from_settings({"scenario": "8x16", "seed": 1}))
    # Thread count and progress bars do not change what a run computes.
    same = config_from_settings({"scenario": "8x16", "threads": 1, "progress": False})
    assert run_key(base) == run_key(same)


def test_seed_sets_data_and_training_seed_unless_data_seed_given():
    config = config_from_settings({"seed": 3})
    assert config.toy.seed == 3 and config.train.seed == 3
    config = config_from_settings({"seed": 3, "data_seed": 7})
    assert config.toy.seed == 7 and config.train.seed == 3


def test_toml_file(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(
        'title = "t"\n[base]\nscenario = "8x16"\n[[axes]]\ninit = ["orthogonal", "data"]\n'
    )
    spec = load_grid(path)
    assert spec.title == "t" and len(spec.points()) == 2


@pytest.mark.parametrize(
    "raw,match",
    [
        ({"base": {"nonsense": 1}}, "unknown setting 'nonsense'"),
        ({"axes": [{"seed": []}]}, "non-empty list"),
        ({"axes": [{"seed": 1}]}, "non-empty list"),
        ({"base": {"scenario": "12"}}, "scenario"),
        ({"base": {"lr": -1.0}}, "lr"),
        ({"extra": 1}, "unknown top-level"),
    ],
)
def test_bad_grids_are_refused_before_any_run(raw, match):
    with pytest.raises(ConfigError, match=match):
        grid_from_dict(raw)


def test_unreadable_toml(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[base\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_grid(path)


def test_a_setting_at_its_default_does_not_change_the_key():
    explicit = config_from_settings({"scenario": "8x16", "l1": 0.1, "batch_size": 256})
    assert run_key(explicit) == run_key(config_from_settings({"scenario": "8x16"}))
