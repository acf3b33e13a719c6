"""The oracle init: the ground-truth features, an upper bound for benchmarks, refused where
there is no ground truth. test_contracts.py checks it with every other init."""

import math

import numpy as np
import pytest
import torch

from saeinit.cli import main
from saeinit.data import ToyConfig, ToyData
from saeinit.inits import InitConfig, InitRequest, initialize
from saeinit.metrics import max_cosines
from saeinit.models import SAEConfig
from saeinit.training.config import TrainConfig
from saeinit.training.run import run
from saeinit.training.settings import RunConfig

TOY = ToyData(ToyConfig(dim=64, features=128))


def oracle_atoms(n_atoms: int = 128, noise: float = 0.0, seed: int = 0, draw=None) -> torch.Tensor:
    config = InitConfig(init="oracle", oracle_noise=noise, init_samples=512)
    generator = torch.Generator().manual_seed(seed)
    request = InitRequest(n_atoms, 64, generator, draw or TOY.sampler(seed), config, TOY.features)
    return initialize(request).W_dec


def test_without_noise_the_atoms_are_the_features():
    assert torch.allclose(oracle_atoms(), TOY.features, atol=1e-6)


def test_noise_of_norm_about_oracle_noise_tilts_each_atom_by_the_expected_angle():
    # Noise N(0, noise^2 / d) per coordinate has norm about `noise`, nearly orthogonal to the
    # feature in d = 64: the atom's cosine with its feature is about 1 / sqrt(1 + noise^2).
    for noise in (0.1, 0.5, 1.0):
        cosines = (oracle_atoms(noise=noise) * TOY.features).sum(dim=1)
        assert cosines.mean().item() == pytest.approx(1 / math.sqrt(1 + noise**2), abs=0.03)
    assert not torch.equal(oracle_atoms(noise=0.5, seed=0), oracle_atoms(noise=0.5, seed=1))


def test_atoms_beyond_the_features_are_data_samples():
    sample = torch.randn(512, 64, generator=torch.Generator().manual_seed(3))
    atoms = oracle_atoms(n_atoms=200, draw=lambda n: sample[:n])
    assert torch.allclose(atoms[:128], TOY.features, atol=1e-6)
    directions = torch.nn.functional.normalize(sample, dim=1)
    rest = atoms[128:]
    assert torch.allclose((rest @ directions.T).amax(dim=1), torch.ones(72), atol=1e-5)
    assert len({int(i) for i in (rest @ directions.T).argmax(dim=1)}) == 72  # distinct samples


def test_fewer_atoms_than_features_are_the_first_most_frequent_features():
    assert torch.allclose(oracle_atoms(n_atoms=40), TOY.features[:40], atol=1e-6)
    frequencies = TOY.expected_frequencies()  # toy data's first features are its most frequent
    assert frequencies[:40].min() >= frequencies[40:].max()


def toy_start(noise: float, encoder_init: str = "default") -> dict:
    """The result of a run that evaluates the oracle start on 16x32 toy data, training nothing."""
    config = RunConfig(
        toy=ToyConfig(dim=16, features=32),
        sae=SAEConfig(encoder_init=encoder_init),
        init=InitConfig(init="oracle", oracle_noise=noise),
        train=TrainConfig(max_steps=0, threads=1, progress=False, eval_samples=256),
    )
    return run(config).result


def test_on_toy_data_the_oracle_starts_at_mmcs_one_and_lower_with_noise():
    exact, noisy = toy_start(0.0), toy_start(0.3)
    assert exact["mmcs_initial"] == pytest.approx(1.0, abs=1e-6)
    assert exact["thresholds"]["0.99"] == {"step": 0, "samples": 0, "seconds": 0.0, "epochs": None}
    assert 0.9 < noisy["mmcs_initial"] < 0.99
    # a tied encoder makes each atom's latent fire on its feature alone: live MMCS is MMCS
    tied = toy_start(0.0, "tied")
    assert tied["live_mmcs_initial"] == pytest.approx(1.0, abs=1e-6)
    assert tied["live_thresholds"]["0.99"]["step"] == 0


def test_a_npz_file_with_features_gives_the_oracle_its_features(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.asarray(TOY.sample(256, torch.Generator()).x), features=TOY.features)
    config = RunConfig(
        data_file=str(path),
        init=InitConfig(init="oracle"),
        train=TrainConfig(max_steps=0, threads=1, progress=False, eval_samples=64),
    )
    output = run(config)
    assert output.result["dict_size"] == 128
    assert max_cosines(TOY.features, output.model.W_dec).min() > 1 - 1e-6


def test_data_without_ground_truth_is_refused_in_one_line_naming_init(tmp_path, capsys, tiny_cli):
    path = tmp_path / "no_features.npz"
    np.savez(path, x=np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32))
    args = ["--data", str(path), "--init", "oracle", "--dict-size", "16", "--max-steps", "1"]
    assert main(["train", *tiny_cli[2:], *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("saeinit: error: --init: oracle")
    assert "ground-truth" in err and "Traceback" not in err


def test_inits_lists_the_oracle_as_a_bound_not_a_method(capsys):
    assert main(["inits"]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("oracle")]
    assert "upper bound" in line and "never a method" in line
