"""A saved SAE that is not usable (a cfg.json of the wrong shape, non-finite weights) is
refused with one ConfigError naming the option, by the library and by every command that
loads one (evaluate, compare, train --start-from: one line, exit code 2)."""

import json
import math

import pytest

from saeinit.cli import main
from saeinit.config import ConfigError
from saeinit.models import ReLUSAE, TopKSAE
from saeinit.models.io import CONFIG_FILE, WEIGHTS_FILE, load_sae, read_config, save_sae

BAD_CONFIGS = {
    "a list": [16, 32],
    "an empty object": {},
    "a string d_in": {"d_in": "16", "d_sae": 32},
    "a fractional d_sae": {"d_in": 16, "d_sae": 32.5},
    "a zero d_in": {"d_in": 0, "d_sae": 32},
    "a negative d_sae": {"d_in": 16, "d_sae": -32},
    "a boolean d_in": {"d_in": True, "d_sae": 32},
    "a null d_sae": {"d_in": 16, "d_sae": None},
}


def saved(folder, randomize, d_in=16, d_sae=32):
    """A saved ReLU SAE of width d_in with d_sae latents, its weights random."""
    save_sae(folder, randomize(ReLUSAE(d_in, d_sae)), {"sae": {"b_dec": "none"}})
    return folder


def with_config(folder, cfg) -> None:
    (folder / CONFIG_FILE).write_text(json.dumps(cfg))


@pytest.mark.parametrize("cfg", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_read_config_refuses_a_cfg_json_that_is_not_an_sae_config(tmp_path, randomize, cfg):
    with_config(saved(tmp_path, randomize), cfg)
    with pytest.raises(ConfigError) as err:
        read_config(tmp_path, option="start-from")
    assert err.value.option == "start-from" and "cfg.json" in err.value.message
    with pytest.raises(ConfigError):
        load_sae(tmp_path)


@pytest.mark.parametrize(
    "key,value",
    [
        ("architecture", ["standard"]),
        ("l1_coefficient", "big"),
        ("normalize_activations", ["none"]),
        ("saeinit", {"sae": "mean"}),
    ],
)
def test_load_sae_refuses_malformed_keys_naming_the_option(tmp_path, randomize, key, value):
    saved(tmp_path, randomize)
    cfg = json.loads((tmp_path / CONFIG_FILE).read_text())
    with_config(tmp_path, cfg | {key: value})
    if key == "saeinit":  # a malformed record of our settings: read as "no b_dec" (we saved none)
        assert load_sae(tmp_path).b_dec is None
        return
    with pytest.raises(ConfigError) as err:
        load_sae(tmp_path, option="start-from")
    assert err.value.option == "start-from"


@pytest.mark.parametrize("k", [0, -3, "12", 33, 2.5])
def test_load_sae_refuses_a_topk_k_outside_the_latents(tmp_path, randomize, k):
    save_sae(tmp_path, randomize(TopKSAE(16, 32, 3)), {"sae": {"b_dec": "none"}})
    cfg = json.loads((tmp_path / CONFIG_FILE).read_text())
    with_config(tmp_path, cfg | {"k": k})
    with pytest.raises(ConfigError) as err:
        load_sae(tmp_path, option="sae-a")
    assert err.value.option == "sae-a" and "k in the cfg.json" in err.value.message


@pytest.mark.parametrize("value", [math.nan, math.inf])
@pytest.mark.parametrize("name", ["W_enc", "b_enc", "W_dec"])
def test_load_sae_refuses_non_finite_weights(tmp_path, randomize, name, value):
    from safetensors.torch import load_file, save_file

    saved(tmp_path, randomize)
    tensors = load_file(tmp_path / WEIGHTS_FILE)
    tensors[name].view(-1)[0] = value
    save_file(tensors, tmp_path / WEIGHTS_FILE)
    with pytest.raises(ConfigError) as err:
        load_sae(tmp_path, option="start-from")
    assert err.value.option == "start-from"
    assert name in err.value.message and "NaN or inf" in err.value.message


def nan_weights(folder) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(folder / WEIGHTS_FILE)
    tensors["W_dec"][0, 0] = float("nan")
    save_file(tensors, folder / WEIGHTS_FILE)


DAMAGE = {
    "a list cfg.json": lambda folder: with_config(folder, [1, 2]),
    "an empty cfg.json": lambda folder: with_config(folder, {}),
    "NaN weights": nan_weights,
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_every_command_that_loads_an_sae_refuses_a_damaged_one_in_one_line(
    tmp_path, randomize, capsys, minilm_acts, tiny_cli, damage
):
    """Each damaged SAE has the width its command needs (8x16 toy data for --start-from,
    MiniLM's 384 for evaluate), so that only the damage can be refused."""
    good = saved(tmp_path / "good", randomize)
    bad = {
        width: saved(tmp_path / f"bad-{width}", randomize, d_in=width, d_sae=16)
        for width in (8, 16, 384)
    }
    for folder in bad.values():
        damage(folder)
    commands = [
        ["compare", str(good), str(bad[16])],
        ["compare", str(bad[16]), str(good)],
        ["evaluate", str(bad[384]), "--activations", str(minilm_acts)],
        ["train", *tiny_cli, "--start-from", str(bad[8]), "--max-steps", "1"],
    ]
    for command in commands:
        capsys.readouterr()
        assert main(command) == 2, command
        out = capsys.readouterr()
        assert "Traceback" not in out.err and "nan" not in out.out.lower()
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and "error" in lines[0], (command, out.err)
