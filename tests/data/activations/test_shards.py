import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from saeinit.config import ConfigError
from saeinit.data.activations.shards import MANIFEST, ActivationStore, holdout_size


def corrupt_copy(tmp_path, minilm_acts) -> tuple[Path, dict]:
    out = tmp_path / "copy"
    shutil.copytree(minilm_acts, out)
    return out, json.loads((out / MANIFEST).read_text())


def test_corrupt_shard_is_named(tmp_path, minilm_acts):
    out, manifest = corrupt_copy(tmp_path, minilm_acts)
    shard = out / manifest["shards"][1]["file"]
    data = bytearray(shard.read_bytes())
    data[-5] ^= 0xFF  # same size, one flipped byte in the data
    shard.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match=f"{shard.name} is corrupt: its checksum"):
        ActivationStore(out)
    shard.write_bytes(bytes(data[:100]))  # truncated
    with pytest.raises(ConfigError, match=f"{shard.name} is corrupt"):
        ActivationStore(out)
    shard.write_bytes(b"\x00" * len(data))  # same size, garbage header
    with pytest.raises(ConfigError, match=f"{shard.name} is corrupt"):
        ActivationStore(out, verify=False)
    (out / manifest["shards"][0]["file"]).unlink()
    with pytest.raises(ConfigError, match="missing"):
        ActivationStore(out)


def test_shards_of_mixed_width_are_refused(tmp_path, minilm_acts):
    out, manifest = corrupt_copy(tmp_path, minilm_acts)
    entry = manifest["shards"][1]
    path = out / entry["file"]
    save_file({"activations": torch.zeros(entry["rows"], 768)}, path)
    entry["bytes"] = path.stat().st_size
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (out / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match="width 768 but the collection's width is 384"):
        ActivationStore(out)


def test_not_a_collection(tmp_path):
    with pytest.raises(ConfigError, match="not a folder"):
        ActivationStore(tmp_path / "nope")
    with pytest.raises(ConfigError, match="no manifest.json"):
        ActivationStore(tmp_path)
    (tmp_path / MANIFEST).write_text("{broken")
    with pytest.raises(ConfigError, match="damaged"):
        ActivationStore(tmp_path)


def test_a_manifest_without_its_complete_flag_is_damaged(tmp_path, minilm_acts):
    out, manifest = corrupt_copy(tmp_path, minilm_acts)
    del manifest["complete"]
    (out / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match="damaged: KeyError\\('complete'\\)"):
        ActivationStore(out)


def test_rows_and_take_read_across_shards(minilm_acts):
    store = ActivationStore(minilm_acts)
    every = store.rows(0, store.count)
    assert every.shape == (store.count, 384) and len(store.shards) >= 2
    indices = torch.tensor([store.count - 1, 0, store.offsets[1], 3])
    assert torch.equal(store.take(indices), every[indices])


def test_holdout_is_at_most_a_tenth_and_at_least_one_token():
    assert holdout_size(1000, 2048) == 100
    assert holdout_size(1000, 50) == 50
    assert holdout_size(5, 2048) == 1
