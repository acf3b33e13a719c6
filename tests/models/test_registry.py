"""The architecture registry: names, SAELens names, and what each architecture declares."""

import dataclasses

import pytest
import torch

from saeinit.config import ConfigError, field_docs
from saeinit.models import ARCHITECTURES, SAEConfig, build_sae
from saeinit.models.registry import by_saelens_name

CFG_KEYS_OF_IO = {"architecture", "d_in", "d_sae", "dtype", "device", "apply_b_dec_to_input"}
CFG_KEYS_OF_IO |= {"normalize_activations", "reshape_activations", "saeinit"}
"""cfg.json keys that `save_sae` writes itself: no architecture's own key may shadow them."""


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_architecture_names_itself_and_its_options_reach_the_config(name):
    arch = ARCHITECTURES[name]
    cls = arch.sae_class()
    assert arch.name == name
    # SAELens' name loads this architecture, or the first registered one saved under it
    # (BatchTopK is saved as SAELens' JumpReLU: the same function at inference)
    first = by_saelens_name(arch.saelens_name, "x")
    assert first is arch or list(ARCHITECTURES.values()).index(first) < list(ARCHITECTURES).index(
        name
    )
    own = {f.name for f in dataclasses.fields(arch.options)}
    assert own <= {f.name for f in dataclasses.fields(SAEConfig)}
    assert all(field_docs(SAEConfig)[option] for option in own)  # each has its help text
    model = build_sae(SAEConfig(architecture=name), 4, 8)
    assert type(model) is cls and model.W_dec.shape == (8, 4) and model.architecture is arch
    settings = model.saelens_settings()
    assert not set(settings) & CFG_KEYS_OF_IO
    # its cfg.json keys read back into the same settings, and its own tensors are tensors
    back = cls.from_saelens(settings, 4, 8, False, True)
    assert type(back) is cls and back.saelens_settings() == settings
    assert all(isinstance(t, torch.Tensor) for t in model.saelens_tensors().values())
    assert not set(model.saelens_tensors()) & {"W_enc", "b_enc", "W_dec", "b_dec"}


def test_no_two_architectures_declare_the_same_option():
    names = [f.name for arch in ARCHITECTURES.values() for f in dataclasses.fields(arch.options)]
    assert len(names) == len(set(names))


def test_an_unknown_saelens_architecture_is_refused_naming_the_known_ones():
    known = ", ".join(dict.fromkeys(repr(a.saelens_name) for a in ARCHITECTURES.values()))
    with pytest.raises(ConfigError, match=f"'gated' SAE; only {known} load here"):
        by_saelens_name("gated", "somewhere")
