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


def test_a_bool_is_not_an_integer_or_a_number_setting():
    from saeinit.config import require_integer, require_positive
    from saeinit.data.activations import CollectConfig
    from saeinit.training.config import TrainConfig

    for refuse in (
        lambda: require_integer("max-steps", True),
        lambda: require_positive("lr", True),
        lambda: TrainConfig(max_steps=True),
        lambda: CollectConfig(layer=False),
    ):
        with pytest.raises(ConfigError, match="got (True|False)"):
            refuse()
    require_integer("layer", 0, minimum=0)
