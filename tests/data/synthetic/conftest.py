import json

import pytest

from saeinit.data.synthetic.presets import SYNTHSAEBENCH_16K, scaled_world

TINY = dict(features=256, dim=32, roots=4)
"""SynthSAEBench's recipe at a size that builds in well under a second."""


@pytest.fixture(scope="session")
def tiny_world_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("worlds") / "tiny.json"
    path.write_text(json.dumps(scaled_world(SYNTHSAEBENCH_16K, **TINY)))
    return path


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory):
    """One cache folder for the session, so the tiny world is built once."""
    return tmp_path_factory.mktemp("cache")
