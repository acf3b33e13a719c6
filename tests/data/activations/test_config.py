import pytest

from saeinit.config import ConfigError
from saeinit.data.activations.config import ActivationsConfig, CollectConfig
from saeinit.data.corpus import DEFAULT_CORPUS, documents


def test_default_corpus_is_offline_python_documentation():
    docs = documents(DEFAULT_CORPUS)
    first = next(docs)
    assert "assert" in first.lower() and len(first) > 200


def test_collect_config_names_its_hook_and_reads_zero_tokens_as_no_budget():
    config = CollectConfig(layer=2, site="mlp_out", max_tokens=0)
    assert config.hook_name() == "blocks.2.hook_mlp_out"
    assert config.max_tokens is None


@pytest.mark.parametrize(
    "kwargs,option",
    [
        ({"layer": -1}, "layer"),
        ({"site": "attn_out"}, "site"),
        ({"context_size": 1}, "context-size"),
        ({"batch_size": 0}, "batch-size"),
        ({"dtype": "int8"}, "dtype"),
    ],
)
def test_bad_collect_settings_are_refused(kwargs, option):
    with pytest.raises(ConfigError) as err:
        CollectConfig(**kwargs)
    assert err.value.option == option


def test_buffer_size_must_be_positive():
    with pytest.raises(ConfigError) as err:
        ActivationsConfig(buffer_size=0)
    assert err.value.option == "buffer-size"
