"""Worlds are built by SAELens once, cached under a key of their configuration, and a config
SAELens refuses is one line naming --synthetic."""

import json

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data.synthetic import SyntheticConfig, load_world
from saeinit.data.synthetic.pool import draw, stream_seed

pytest.importorskip("sae_lens.synthetic")


def test_a_world_is_built_once_then_loaded_from_the_cache(tiny_world_file, tiny_cache, caplog):
    config = SyntheticConfig(synthetic=str(tiny_world_file), synthetic_cache=str(tiny_cache))
    first = load_world(config)
    caplog.clear()
    again = load_world(config)
    assert not [r for r in caplog.records if "building" in r.getMessage()]
    assert again.key == first.key and again.folder == first.folder
    assert torch.equal(
        again.model.feature_dict.feature_vectors, first.model.feature_dict.feature_vectors
    )
    assert first.model.cfg.num_features == 256 and first.model.cfg.hidden_dim == 32
    assert first.name == "tiny"


def test_draws_are_seeded_and_leave_torch_generator_alone(tiny_world_file, tiny_cache):
    world = load_world(
        SyntheticConfig(synthetic=str(tiny_world_file), synthetic_cache=str(tiny_cache))
    )
    torch.manual_seed(5)
    before = torch.rand(3)
    torch.manual_seed(5)
    x, codes = draw(world.model, 100, stream_seed(world.key, "eval"), features=True)
    assert torch.equal(torch.rand(3), before)
    again = draw(world.model, 100, stream_seed(world.key, "eval"))
    assert torch.equal(x, again)
    expected = codes.to_dense() @ world.model.feature_dict.feature_vectors
    assert torch.allclose(x, expected + world.model.feature_dict.bias, atol=1e-5)
    other = draw(world.model, 100, stream_seed(world.key, "train", 0))
    assert not torch.equal(x, other)


def test_another_configuration_is_another_world(tiny_world_file, tiny_cache, tmp_path):
    changed = json.loads(tiny_world_file.read_text()) | {"seed": 7}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(changed))
    config = SyntheticConfig(synthetic=str(tiny_world_file), synthetic_cache=str(tiny_cache))
    other = SyntheticConfig(synthetic=str(path), synthetic_cache=str(tiny_cache))
    assert load_world(other).key != load_world(config).key


ZERO_FEATURES = {
    "num_features": 0,
    "hidden_dim": 4,
    "firing_probability": {"generator_name": "zipfian"},
}


@pytest.mark.parametrize(
    "content, message",
    [
        (ZERO_FEATURES, "SAELens refuses the world .*bad.json: ValueError.*num_features"),
        ({"hidden_dim": 4}, "SAELens refuses the world .*bad.json: KeyError"),
        ([1, 2], "holds list, not an object"),
        ("{", "not readable JSON"),
    ],
)
def test_a_config_saelens_refuses_is_one_line(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    config = SyntheticConfig(synthetic=str(path), synthetic_cache=str(tmp_path))
    with pytest.raises(ConfigError, match=message) as err:
        load_world(config)
    assert err.value.option == "synthetic" and "\n" not in str(err.value)


def test_a_world_source_orders_its_features_most_frequent_first():
    from saeinit.data.synthetic.source import by_frequency

    features = torch.eye(4)
    # feature 2 fires three times, feature 0 twice, features 1 and 3 never (ties by index)
    codes = torch.tensor([[1.0, 0, 1, 0], [1, 0, 1, 0], [0, 0, 1, 0]]).to_sparse().coalesce()
    assert torch.equal(by_frequency(features, codes), features[[2, 0, 1, 3]])
