"""Fixtures of the training tests: an easy toy scenario and a short run on it."""

import pytest

from saeinit.data import ToyConfig
from saeinit.inits import InitConfig
from saeinit.models import SAEConfig
from saeinit.training.config import TrainConfig
from saeinit.training.run import run
from saeinit.training.settings import RunConfig


@pytest.fixture(scope="session")
def easy_toy() -> ToyConfig:
    """16 dimensions, 32 features, 2 active per sample: orthogonal init reaches 0.95 fast."""
    return ToyConfig(dim=16, features=32, mean_active=2.0)


@pytest.fixture(scope="session")
def easy_run(easy_toy):
    """A run's result dict on the easy scenario (64 latents, L1 1.0, orthogonal init), the
    keyword arguments overriding its TrainConfig."""

    def run_easy(**train_kwargs) -> dict:
        settings = dict(lr=3e-3, max_steps=2000, target_mmcs=0.95, threads=1, progress=False)
        config = RunConfig(
            toy=easy_toy,
            sae=SAEConfig(dict_size=64, l1=1.0),
            init=InitConfig(init="orthogonal"),
            train=TrainConfig(**(settings | train_kwargs)),
        )
        return run(config).result

    return run_easy
