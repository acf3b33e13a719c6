import json
import shutil
from dataclasses import asdict

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data.activations.collection import collect
from saeinit.data.activations.hooks import Collector
from saeinit.data.activations.shards import MANIFEST


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


def test_manifest_settings_are_all_but_how_the_work_runs(minilm_acts, sentences_file, tiny_collect):
    manifest = json.loads((minilm_acts / MANIFEST).read_text())
    expected = asdict(tiny_collect(sentences_file, layer=1))
    for name in ("threads", "progress", "device"):
        expected.pop(name)
    assert manifest["settings"] == expected


def test_max_tokens_then_rerun_is_a_no_op(tmp_path, sentences_file, tiny_collect, digests):
    out = tmp_path / "a"
    result = collect(tiny_collect(sentences_file, max_tokens=30), out)
    assert result.new_tokens == 30 and result.manifest["count"] == 30
    before = digests(out)
    again = collect(tiny_collect(sentences_file, max_tokens=30), out)
    assert again.new_tokens == 0 and "already holds 30 tokens" in again.message
    assert digests(out) == before


def test_interrupted_collection_resumes_to_the_same_rows(
    tmp_path, sentences_file, minilm_acts, monkeypatch, tiny_collect, all_rows
):
    out = tmp_path / "resumed"
    calls = {"n": 0}
    original = Collector.activations

    def failing(self, windows):
        calls["n"] += 1
        if calls["n"] == 5:  # the width probe, then some batches: shards are on disk by now
            raise KeyboardInterrupt
        return original(self, windows)

    monkeypatch.setattr(Collector, "activations", failing)
    with pytest.raises(KeyboardInterrupt):
        collect(tiny_collect(sentences_file, layer=1, batch_size=1), out)
    partial = json.loads((out / MANIFEST).read_text())
    assert 0 < partial["count"] and not partial["complete"] and partial["shards"]
    monkeypatch.setattr(Collector, "activations", original)
    result = collect(tiny_collect(sentences_file, layer=1, batch_size=1), out)
    assert result.resumed and 0 < result.new_tokens < result.manifest["count"]
    assert result.manifest["complete"]
    assert torch.allclose(all_rows(out), all_rows(minilm_acts), atol=1e-5)


@pytest.mark.parametrize("text", ["", "\n\n   \n"])
def test_empty_corpus(tmp_path, text, tiny_collect):
    corpus = tmp_path / "empty.txt"
    corpus.write_text(text)
    with pytest.raises(ConfigError, match="holds no text") as err:
        collect(tiny_collect(corpus), tmp_path / "out")
    assert err.value.option == "corpus" and not (tmp_path / "out").exists()
    with pytest.raises(ConfigError, match="neither"):
        collect(tiny_collect(tmp_path / "missing.txt"), tmp_path / "out")


def test_resume_with_other_settings_or_bad_layer_keeps_what_was_collected(
    tmp_path, minilm_acts, sentences_file, tiny_collect, digests
):
    out = tmp_path / "kept"
    shutil.copytree(minilm_acts, out)
    before = digests(out)
    with pytest.raises(ConfigError, match=r"other settings: layer 1 \(now 2\);") as err:
        collect(tiny_collect(sentences_file, layer=2), out)
    assert err.value.option == "out"
    with pytest.raises(ConfigError, match="layer"):
        collect(tiny_collect(sentences_file, layer=9), out)
    with pytest.raises(ConfigError, match=r"context_size 16 \(now 32\), dtype 'float32'"):
        collect(tiny_collect(sentences_file, layer=1, context_size=32, dtype="float16"), out)
    assert digests(out) == before


def test_resume_ignores_batching_budget_device_and_settings_it_did_not_record(
    tmp_path, minilm_acts, sentences_file, tiny_collect, digests
):
    out = tmp_path / "kept"
    shutil.copytree(minilm_acts, out)
    before = digests(out)
    config = tiny_collect(sentences_file, layer=1, batch_size=2, shard_tokens=99, max_tokens=None)
    again = collect(config, out)
    assert again.resumed and again.new_tokens == 0 and "corpus is exhausted" in again.message
    assert digests(out) == before
    manifest = json.loads((out / MANIFEST).read_text())
    del manifest["settings"]["special_tokens"]  # a collection made before the setting existed
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert collect(config, out).new_tokens == 0


def test_binary_corpus_is_refused_before_anything_is_written(tmp_path, tiny_collect):
    corpus = tmp_path / "weights.bin"
    corpus.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)))
    with pytest.raises(ConfigError, match="weights.bin is not text: a NUL byte") as err:
        collect(tiny_collect(corpus), tmp_path / "out")
    assert err.value.option == "corpus" and not (tmp_path / "out").exists()
