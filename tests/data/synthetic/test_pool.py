"""Sample shards: a pool is a prefix of any larger one, generation resumes after the shards it
completed, processes give the same shards as one, and a damaged shard is refused naming it."""

import json

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data.synthetic import SyntheticConfig, load_world, sample_pool
from saeinit.data.synthetic import pool as pool_module

pytest.importorskip("sae_lens.synthetic")
ROWS = 300


@pytest.fixture
def world(tiny_world_file, tmp_path, monkeypatch):
    """The tiny world in a cache of this test's own, with shards of ROWS samples."""
    monkeypatch.setattr(pool_module, "SHARD_ROWS", ROWS)
    config = SyntheticConfig(synthetic=str(tiny_world_file), synthetic_cache=str(tmp_path))
    return load_world(config)


def test_a_pool_is_the_prefix_of_a_larger_one(world):
    small = sample_pool(world, 2 * ROWS, workers=1, progress=False)
    first = small.rows(0, 2 * ROWS)
    big = sample_pool(world, 3 * ROWS + 1, workers=1, progress=False)
    assert (small.count, big.count) == (2 * ROWS, 4 * ROWS)  # whole shards
    assert torch.equal(big.rows(0, 2 * ROWS), first)
    assert not torch.equal(big.rows(2 * ROWS, 3 * ROWS), first[:ROWS])


def test_generation_resumes_after_the_completed_shards(world):
    sample_pool(world, 2 * ROWS, workers=1, progress=False)
    folder = world.folder / "samples"
    manifest = json.loads((folder / "manifest.json").read_text())
    kept = manifest["shards"][0]
    (folder / manifest["shards"][1]["file"]).unlink()  # as if killed before shard 1 was listed
    manifest |= {"shards": [kept], "count": kept["rows"]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    stamp = (folder / kept["file"]).stat().st_mtime_ns
    store = sample_pool(world, 2 * ROWS, workers=1, progress=False)
    assert store.count == 2 * ROWS
    assert (folder / kept["file"]).stat().st_mtime_ns == stamp  # not written again


def test_processes_write_the_same_shards_as_one(world, tiny_world_file, tmp_path):
    one = sample_pool(world, 2 * ROWS, workers=1, progress=False).rows(0, 2 * ROWS)
    other = SyntheticConfig(synthetic=str(tiny_world_file), synthetic_cache=str(tmp_path / "b"))
    two = sample_pool(load_world(other), 2 * ROWS, workers=2, progress=False)
    assert torch.equal(two.rows(0, 2 * ROWS), one)


def test_a_damaged_shard_is_refused_naming_it(world):
    sample_pool(world, 2 * ROWS, workers=1, progress=False)
    shard = world.folder / "samples" / "shard_00001.safetensors"
    data = bytearray(shard.read_bytes())
    data[-5] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="shard_00001.safetensors is corrupt") as err:
        sample_pool(world, 2 * ROWS, workers=1, progress=False)
    assert err.value.option == "synthetic"
