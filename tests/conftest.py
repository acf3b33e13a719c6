import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SENTENCES = """Sparse autoencoders learn an overcomplete dictionary of features.

The residual stream of a transformer carries information between its layers.

An informed initialization draws the first dictionary from the data itself.

Rare features are hard to reach, so some inits look for outliers or subtract centroids.

Orthogonal initialization is the baseline that every informed init is compared with.

The quick brown fox jumps over the lazy dog while the model reads every word.

Training stops after a fixed budget of steps, and the report counts samples and seconds.
"""


@pytest.fixture(scope="session")
def sentences_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "sentences.txt"
    path.write_text(SENTENCES)
    return path


TINY_COLLECT = dict(context_size=16, batch_size=4, shard_tokens=24, threads=1, progress=False)
"""Small windows and shards, so that a few sentences give several batches and shards."""


@pytest.fixture(scope="session")
def minilm_acts(tmp_path_factory, sentences_file):
    """Activations of the packaged all-MiniLM-L6-v2 (layer 1) over the sentences above."""
    from saeinit.data.activations import CollectConfig, collect

    out = tmp_path_factory.mktemp("acts") / "minilm-L1"
    collect(CollectConfig(layer=1, corpus=str(sentences_file), **TINY_COLLECT), out)
    return out
