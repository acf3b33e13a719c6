"""Seeds are checked against what every consumer takes before any work uses them."""

import sqlite3

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.seeding import MAX_SEED, derived_seed, require_seed


def test_the_largest_seed_is_the_largest_sqlite_integer_and_torch_takes_it():
    assert MAX_SEED == 9223372036854775807
    db = sqlite3.connect(":memory:")
    assert db.execute("SELECT ?", (MAX_SEED,)).fetchone() == (MAX_SEED,)
    with pytest.raises(OverflowError):
        db.execute("SELECT ?", (MAX_SEED + 1,))
    torch.Generator().manual_seed(MAX_SEED)
    assert 0 <= derived_seed(MAX_SEED, "train") <= MAX_SEED


@pytest.mark.parametrize(
    "seed", [MAX_SEED + 1, 18446744073709551616, 99999999999999999999999, -1, True, 1.5]
)
def test_a_seed_no_consumer_takes_is_refused_naming_the_option(seed):
    with pytest.raises(ConfigError, match=r"^seeds: a seed must be an integer from 0 to 2\^63"):
        require_seed("seeds", 0, seed)


def test_every_seed_from_0_to_the_largest_is_accepted():
    require_seed("seed", 0, 1, MAX_SEED)
