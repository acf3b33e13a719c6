"""The shared validators of config.py."""

import math

import pytest

from saeinit.config import ConfigError, require_non_negative
from saeinit.models import SAEConfig


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -0.5])
def test_require_non_negative_says_the_value_must_be_finite(value):
    with pytest.raises(ConfigError) as err:
        require_non_negative("l1", value)
    assert err.value.option == "l1"
    assert err.value.message.startswith("must be a finite number >= 0, got")


def test_l1_inf_is_refused_as_not_finite():
    with pytest.raises(ConfigError, match="l1: must be a finite number >= 0, got inf"):
        SAEConfig(l1=math.inf)
    require_non_negative("l1", 0.0)
    assert SAEConfig(l1=0.0).l1 == 0.0
