"""The architecture registry: names, SAELens names, and what each architecture declares."""

import dataclasses

import pytest

from saeinit.config import ConfigError, field_docs
from saeinit.models import ARCHITECTURES, SAEConfig, build_sae
from saeinit.models.registry import by_saelens_name


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_architecture_names_itself_and_its_options_reach_the_config(name):
    cls = ARCHITECTURES[name]
    assert cls.name == name and by_saelens_name(cls.saelens_architecture, "x") is cls
    own = {f.name for f in dataclasses.fields(cls.Options)}
    assert own <= {f.name for f in dataclasses.fields(SAEConfig)}
    assert all(field_docs(SAEConfig)[option] for option in own)  # each has its help text
    model = build_sae(SAEConfig(architecture=name), 4, 8)
    assert type(model) is cls and model.W_dec.shape == (8, 4)
    assert set(model.saelens_settings()) <= set(own) | {"l1_coefficient"}


def test_an_unknown_saelens_architecture_is_refused_naming_the_known_ones():
    with pytest.raises(ConfigError, match="'jumprelu' SAE; only 'standard', 'topk' load here"):
        by_saelens_name("jumprelu", "somewhere")
