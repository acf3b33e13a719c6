"""training/sources.py: the data source a run's settings name."""

import torch

from saeinit.data.toy import ToyData
from saeinit.seeding import torch_generator
from saeinit.training.settings import config_from_settings
from saeinit.training.sources import make_source


def test_a_fixed_toy_dataset_is_drawn_in_training_batches():
    # 600 samples in batches of 256 (256, 256, 88), each batch with its own copula draw: the
    # features fired in the dataset are those of that draw, not of one draw shared by all 600.
    settings = {"scenario": "8x16", "dataset_size": 600, "batch_size": 256, "seed": 2}
    config = config_from_settings(settings)
    source = make_source(config)
    expected = ToyData(config.toy).sample_batches(600, torch_generator(2, "train"), 256)
    assert torch.equal(source.fired, (expected.coefficients > 0).sum(dim=0))
    one_draw = ToyData(config.toy).sample(600, torch_generator(2, "train"))
    assert not torch.equal(source.fired, (one_draw.coefficients > 0).sum(dim=0))
