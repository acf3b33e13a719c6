import hashlib
import os

import pytest
import torch

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
def tiny_collect():
    """tiny_collect(corpus, **settings): a CollectConfig over the corpus file with the small
    TINY_COLLECT settings, any of them overridden by settings."""
    from saeinit.data.activations import CollectConfig

    def build(corpus, **settings):
        return CollectConfig(corpus=str(corpus), **(TINY_COLLECT | settings))

    return build


@pytest.fixture
def tiny_collect_cli() -> list[str]:
    """TINY_COLLECT as options of the collect command (progress left to the test)."""
    names = ("context_size", "batch_size", "shard_tokens", "threads")
    return [
        text for name in names for text in ("--" + name.replace("_", "-"), str(TINY_COLLECT[name]))
    ]


@pytest.fixture(scope="session")
def minilm_acts(tmp_path_factory, sentences_file, tiny_collect):
    """Activations of the packaged all-MiniLM-L6-v2 (layer 1) over the sentences above."""
    from saeinit.data.activations import collect

    out = tmp_path_factory.mktemp("acts") / "minilm-L1"
    collect(tiny_collect(sentences_file, layer=1), out)
    return out


@pytest.fixture(scope="session")
def all_rows():
    """all_rows(folder): every row of the activation collection in folder, as one tensor."""
    from saeinit.data.activations import ActivationStore

    def read(folder):
        store = ActivationStore(folder)
        return store.rows(0, store.count)

    return read


@pytest.fixture(scope="session")
def digests():
    """digests(folder): {file name: sha256 of its bytes} for every file in folder."""

    def hash_files(folder) -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
        }

    return hash_files


# Helpers shared by several test modules. With --import-mode=importlib a test module cannot
# import from conftest or a helpers module beside it, so each helper is a fixture.


@pytest.fixture
def tiny_cli() -> list[str]:
    """Command-line options of a tiny, quiet toy run (8x16, one thread, a small evaluation)."""
    return ["--scenario", "8x16", "--threads", "1", "--no-progress", "--eval-samples", "256"]


@pytest.fixture
def fast_train() -> dict:
    """Run settings that keep a training run small and quiet (one thread, small batches)."""
    return {"threads": 1, "progress": False, "batch_size": 32, "eval_samples": 64}


@pytest.fixture(scope="session")
def randomize():
    """randomize(model, seed=0): every parameter of an SAE drawn from N(0, 1) with the seed,
    the decoder then normalised; returns the model."""

    def fill(model, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for param in model.parameters():
                param.copy_(torch.randn(param.shape, generator=g))
        model.normalize_decoder()
        return model

    return fill


@pytest.fixture(scope="session")
def request_for():
    """request_for(x, n_atoms, seed=0, **options): an InitRequest whose draws are the first
    rows of the fixed sample x [N, d], with InitConfig(**options)."""
    from saeinit.inits import InitConfig, InitRequest

    def build(x: torch.Tensor, n_atoms: int, seed: int = 0, **options):
        generator = torch.Generator().manual_seed(seed)
        return InitRequest(n_atoms, x.shape[1], generator, lambda k: x[:k], InitConfig(**options))

    return build


@pytest.fixture(scope="session")
def cos():
    """cos(a, b): the cosines [len(a), len(b)] between the rows of a and those of b."""
    from saeinit.tensors import normalize_rows

    return lambda a, b: normalize_rows(a) @ normalize_rows(b).T
