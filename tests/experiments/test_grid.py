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


@pytest.mark.parametrize(
    "raw,match",
    [
        ({"axes": 5}, r"axes must be one or more tables \(\[\[axes\]\]\) of lists, got 5"),
        ({"axes": [1, 2]}, "axes must be one or more tables"),
        ({"axes": []}, "axes must be one or more tables"),
        ({"base": 5}, r"base must be a table of settings \(\[base\]\), got 5"),
        ({"base": {"scenario": "8x16"}, "title": 3}, "title must be a string"),
        ({"axes": [{"seed": [[0, 1]]}]}, r"axis 'seed' holds \[0, 1\]; an axis is a flat list"),
        ({"axes": [{"seed": [{"a": 1}]}]}, "an axis is a flat list"),
        ({"base": {"max_steps": True}}, "base setting 'max_steps' must be an integer, got true"),
        ({"axes": [{"max_steps": [10, False]}]}, "axis 'max_steps' must be an integer, got false"),
        ({"base": {"seed": 1.5}}, "base setting 'seed' must be an integer, got 1.5"),
        ({"base": {"seed": [0, 1]}}, r"must be an integer, got \[0, 1\]; put a list of values"),
        ({"base": {"lr": "fast"}}, "base setting 'lr' must be a number, got 'fast'"),
        ({"base": {"lr": True}}, "base setting 'lr' must be a number, got true"),
        ({"base": {"correlated": 1}}, "'correlated' must be true or false, got 1"),
        ({"base": {"scenario": 816}}, "'scenario' must be a string, got 816"),
        ({"base": {"dict_size": True}}, "'dict_size' must be an integer, got true"),
        ({}, r"sets nothing \(no \[base\] settings, no \[\[axes\]\]\)"),
        ({"title": "t", "note": "n"}, "sets nothing"),
        ({"base": {}, "axes": [{}]}, "sets nothing"),
    ],
)
def test_malformed_grids_are_refused_in_one_line(raw, match):
    with pytest.raises(ConfigError, match=match) as err:
        grid_from_dict(raw)
    assert err.value.option == "grid" and "\n" not in str(err.value)


def test_a_number_where_a_float_is_wanted_is_taken():
    spec = grid_from_dict({"base": {"scenario": "8x16", "lr": 1, "coef_max": 2}})
    (point,) = spec.points()
    assert point.config.train.lr == 1 and point.config.toy.coef_max == 2


@pytest.mark.parametrize(
    "name,make",
    [
        ("activations", lambda folder: folder.mkdir()),
        ("data_file", lambda file: file.write_bytes(b"")),
        ("start_from", lambda folder: folder.mkdir()),
    ],
)
def test_data_paths_must_exist_when_the_grid_is_loaded(tmp_path, name, make):
    there = tmp_path / "there"
    make(there)
    missing = tmp_path / "missing"
    with pytest.raises(ConfigError, match=f"{name} '{missing}' does not exist"):
        grid_from_dict({"axes": [{name: [str(there), str(missing)]}]})
    with pytest.raises(ConfigError, match=f"{name} '{missing}' does not exist"):
        grid_from_dict({"base": {name: str(missing)}})
    wrong = tmp_path / "wrong"
    (wrong.mkdir() if name == "data_file" else wrong.write_text("x"))
    with pytest.raises(ConfigError, match=f"{name} '{wrong}' is not a "):
        grid_from_dict({"base": {name: str(wrong)}})
    assert grid_from_dict({"base": {name: str(there)}}).base[name] == str(there)


def test_grid_files_that_are_not_toml_text_are_refused_in_one_line(tmp_path, capsys):
    from saeinit.cli import main

    cases = {
        "latin1.toml": 'title = "caf\xe9"\n[base]\nscenario = "8x16"\n'.encode("latin-1"),
        "binary.toml": bytes(range(256)),
        "axes.toml": b"axes = 5\n",
        "nested.toml": b'[base]\nscenario = "8x16"\n[[axes]]\nseed = [[0, 1]]\n',
        "bool.toml": b'[base]\nscenario = "8x16"\nmax_steps = true\n',
        "empty.toml": b"",
        "missing_data.toml": b'[base]\nactivations = "no/such/collection"\n',
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_bytes(text)
        with pytest.raises(ConfigError, match="grid: "):
            load_grid(path)
        store = tmp_path / f"{name}.sqlite"
        assert main(["sweep", str(path), "--store", str(store)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "--grid:" in err, err
        assert not store.exists()
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_grid(tmp_path / "latin1.toml")
