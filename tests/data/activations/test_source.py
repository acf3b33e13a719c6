import json
import logging
import shutil

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.data.activations.config import ActivationsConfig
from saeinit.data.activations.shards import MANIFEST, ActivationStore
from saeinit.data.activations.source import activation_source, shuffled_batches
from saeinit.seeding import torch_generator


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


def test_an_incomplete_collection_is_trained_on_with_a_one_line_warning(
    tmp_path, minilm_acts, caplog
):
    with caplog.at_level(logging.WARNING):
        complete = activation_source(ActivationsConfig(str(minilm_acts), 64), 8, 0, 2048)
    assert complete.info["complete"] and not caplog.records
    out = tmp_path / "partial"
    shutil.copytree(minilm_acts, out)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["complete"] = False  # as a collection interrupted after its last shard
    (out / MANIFEST).write_text(json.dumps(manifest))
    with caplog.at_level(logging.WARNING):
        source = activation_source(ActivationsConfig(str(out), 64), 8, 0, 2048)
    assert not source.info["complete"]
    [record] = caplog.records
    message = record.getMessage()
    assert record.levelno == logging.WARNING and "\n" not in message
    assert f"{out} is an incomplete collection ({manifest['count']} tokens;" in message
