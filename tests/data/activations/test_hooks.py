import json

import pytest
import torch
from safetensors.torch import load_file

from saeinit.config import ConfigError
from saeinit.data.activations.collection import collect
from saeinit.data.activations.hooks import load_model
from saeinit.data.activations.shards import MANIFEST
from saeinit.data.corpus import documents


def test_rows_are_the_models_hidden_states_without_special_tokens(
    minilm_acts, sentences_file, all_rows
):
    loaded = load_model("all-MiniLM-L6-v2", torch.device("cpu"))
    first = next(documents(str(sentences_file)))
    encoded = loaded.tokenizer(first, truncation=True, max_length=16, return_tensors="pt")
    with torch.no_grad():
        hidden = loaded.model(**encoded, output_hidden_states=True).hidden_states[2][0]
    expected = hidden[1:-1]  # [CLS] and [SEP] left out; blocks.1 output = hidden_states[2]
    stored = all_rows(minilm_acts)[: len(expected)]
    assert torch.allclose(stored, expected, atol=1e-5)


def test_mlp_out_site_and_float16_storage(tmp_path, sentences_file, tiny_collect, all_rows):
    out = tmp_path / "mlp"
    collect(tiny_collect(sentences_file, site="mlp_out", dtype="float16", max_tokens=40), out)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["hook_name"] == "blocks.3.hook_mlp_out"
    assert manifest["count"] == 40 and manifest["truncated"]
    assert load_file(out / manifest["shards"][0]["file"])["activations"].dtype == torch.float16
    assert all_rows(out).dtype == torch.float32


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
    tmp_path, sentences_file, kwargs, option, match, tiny_collect
):
    out = tmp_path / "never"
    with pytest.raises(ConfigError, match=match) as err:
        collect(tiny_collect(sentences_file, **kwargs), out)
    assert err.value.option == option
    assert not out.exists()
