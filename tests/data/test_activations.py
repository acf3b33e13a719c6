import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from saeinit.config import ConfigError
from saeinit.data import activations as acts_module
from saeinit.data.activations import (
    MANIFEST,
    ActivationsConfig,
    ActivationStore,
    CollectConfig,
    activation_source,
    collect,
    load_model,
    shuffled_batches,
)
from saeinit.data.corpus import DEFAULT_CORPUS, documents
from saeinit.seeding import torch_generator

TINY = dict(context_size=16, batch_size=4, shard_tokens=24, threads=1, progress=False)


def tiny(corpus, **kwargs) -> CollectConfig:
    return CollectConfig(corpus=str(corpus), **(TINY | kwargs))


def all_rows(folder: Path) -> torch.Tensor:
    store = ActivationStore(folder)
    return store.rows(0, store.count)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_manifest_records_model_layer_dtype_count_corpus_and_tokenizer(minilm_acts):
    manifest = json.loads((minilm_acts / MANIFEST).read_text())
    assert manifest["model"]["name"] == "all-MiniLM-L6-v2"
    assert manifest["model"]["architecture"] == "BertModel" and manifest["model"]["layers"] == 6
    assert manifest["layer"] == 1 and manifest["hook_name"] == "blocks.1.hook_resid_post"
    assert manifest["d_in"] == 384 and manifest["dtype"] == "float32"
    assert manifest["complete"] and manifest["exhausted"] and not manifest["truncated"]
    assert manifest["count"] == sum(s["rows"] for s in manifest["shards"]) > 50
    assert len(manifest["shards"]) >= 2
    assert manifest["corpus"]["name"].endswith("sentences.txt")
    assert manifest["tokenizer"]["context_size"] == 16
    assert manifest["tokenizer"]["special_tokens_kept"] is False
    assert manifest["documents_done"] == 7


def test_rows_are_the_models_hidden_states_without_special_tokens(minilm_acts, sentences_file):
    loaded = load_model("all-MiniLM-L6-v2", torch.device("cpu"))
    first = next(documents(str(sentences_file)))
    encoded = loaded.tokenizer(first, truncation=True, max_length=16, return_tensors="pt")
    with torch.no_grad():
        hidden = loaded.model(**encoded, output_hidden_states=True).hidden_states[2][0]
    expected = hidden[1:-1]  # [CLS] and [SEP] left out; blocks.1 output = hidden_states[2]
    stored = all_rows(minilm_acts)[: len(expected)]
    assert torch.allclose(stored, expected, atol=1e-5)


def test_mlp_out_site_and_float16_storage(tmp_path, sentences_file):
    out = tmp_path / "mlp"
    collect(tiny(sentences_file, site="mlp_out", dtype="float16", max_tokens=40), out)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["hook_name"] == "blocks.3.hook_mlp_out"
    assert manifest["count"] == 40 and manifest["truncated"]
    assert load_file(out / manifest["shards"][0]["file"])["activations"].dtype == torch.float16
    assert all_rows(out).dtype == torch.float32


def test_max_tokens_then_rerun_is_a_no_op(tmp_path, sentences_file):
    out = tmp_path / "a"
    result = collect(tiny(sentences_file, max_tokens=30), out)
    assert result.new_tokens == 30 and result.manifest["count"] == 30
    before = digests(out)
    again = collect(tiny(sentences_file, max_tokens=30), out)
    assert again.new_tokens == 0 and "already holds 30 tokens" in again.message
    assert digests(out) == before


def test_interrupted_collection_resumes_to_the_same_rows(
    tmp_path, sentences_file, minilm_acts, monkeypatch
):
    out = tmp_path / "resumed"
    calls = {"n": 0}
    original = acts_module.Collector.activations

    def failing(self, windows):
        calls["n"] += 1
        if calls["n"] == 5:  # the width probe, then some batches: shards are on disk by now
            raise KeyboardInterrupt
        return original(self, windows)

    monkeypatch.setattr(acts_module.Collector, "activations", failing)
    with pytest.raises(KeyboardInterrupt):
        collect(tiny(sentences_file, layer=1, batch_size=1), out)
    partial = json.loads((out / MANIFEST).read_text())
    assert 0 < partial["count"] and not partial["complete"] and partial["shards"]
    monkeypatch.setattr(acts_module.Collector, "activations", original)
    result = collect(tiny(sentences_file, layer=1, batch_size=1), out)
    assert result.resumed and 0 < result.new_tokens < result.manifest["count"]
    assert result.manifest["complete"]
    assert torch.allclose(all_rows(out), all_rows(minilm_acts), atol=1e-5)


def test_default_corpus_is_offline_python_documentation():
    docs = documents(DEFAULT_CORPUS)
    first = next(docs)
    assert "assert" in first.lower() and len(first) > 200


@pytest.mark.parametrize(
    "kwargs,option,match",
    [
        ({"layer": 6}, "layer", "6 layers"),
        ({"model": "/nonexistent/model-dir"}, "model", "does not exist"),
        ({"model": "no-such-org/no-such-model"}, "model", "local Hugging Face cache"),
        ({"context_size": 4096}, "context-size", "at most 512"),
    ],
)
def test_bad_collection_settings_fail_before_writing(
    tmp_path, sentences_file, kwargs, option, match
):
    out = tmp_path / "never"
    with pytest.raises(ConfigError, match=match) as err:
        collect(tiny(sentences_file, **kwargs), out)
    assert err.value.option == option
    assert not out.exists()


@pytest.mark.parametrize("text", ["", "\n\n   \n"])
def test_empty_corpus(tmp_path, text):
    corpus = tmp_path / "empty.txt"
    corpus.write_text(text)
    with pytest.raises(ConfigError, match="holds no text") as err:
        collect(tiny(corpus), tmp_path / "out")
    assert err.value.option == "corpus" and not (tmp_path / "out").exists()
    with pytest.raises(ConfigError, match="neither"):
        collect(tiny(tmp_path / "missing.txt"), tmp_path / "out")


def test_resume_with_other_settings_or_bad_layer_keeps_what_was_collected(
    tmp_path, minilm_acts, sentences_file
):
    out = tmp_path / "kept"
    shutil.copytree(minilm_acts, out)
    before = digests(out)
    with pytest.raises(ConfigError, match="other settings: layer 1") as err:
        collect(tiny(sentences_file, layer=2), out)
    assert err.value.option == "out"
    with pytest.raises(ConfigError, match="layer"):
        collect(tiny(sentences_file, layer=9), out)
    assert digests(out) == before


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


class NumberedStore:
    """Stands in for an ActivationStore whose row i is (i, i)."""

    dim = 2

    def rows(self, start, stop):
        return torch.arange(start, stop).float()[:, None].repeat(1, 2)


def test_shuffling_buffer_mixes_the_training_rows():
    stop, batch = 1000, 16
    batches = shuffled_batches(NumberedStore(), stop, batch, 128, torch_generator(0, "train"))
    drawn = torch.cat([next(batches) for _ in range(3 * stop // batch)])[:, 0].long()
    assert (drawn < stop).all()  # rows at and after `stop` (held out) never appear
    first = drawn[: stop - 128]  # one pass, before rows of the next epoch can come out
    assert len(first.unique()) == len(first)
    assert not torch.equal(first, first.sort().values)
    assert first[: stop // 4].max() > stop // 2  # mixed across the whole range early on
    counts = torch.bincount(drawn, minlength=stop)
    assert counts.min() >= 1 and counts.max() <= 4


def test_activation_source_holds_out_the_last_tokens(minilm_acts):
    source = activation_source(ActivationsConfig(str(minilm_acts), 64), 8, 0, 2048)
    store = ActivationStore(minilm_acts)
    assert len(source.eval_x) == store.count // 10
    assert torch.equal(source.eval_x, store.rows(store.count - len(source.eval_x), store.count))
    sample = source.draw(20)
    assert sample.shape == (20, 384) and len(sample.unique(dim=0)) == 20
    assert source.info["hook_name"] == "blocks.1.hook_resid_post"
    with pytest.raises(ConfigError, match="too few"):
        activation_source(ActivationsConfig(str(minilm_acts)), 4096, 0, 2048)
