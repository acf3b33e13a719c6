"""benchmarks/encoder_reads.py: each feature's read by its own latent, and the bands."""

import importlib.util
from pathlib import Path

import torch

from saeinit.models.relu_sae import ReLUSAE

PATH = Path(__file__).parents[2] / "benchmarks" / "encoder_reads.py"
SPEC = importlib.util.spec_from_file_location("encoder_reads_benchmark", PATH)
encoder_reads = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(encoder_reads)


def test_reads_and_bands_match_a_hand_built_encoder():
    model = ReLUSAE(2, 2, 0.1)
    with torch.no_grad():
        model.W_dec.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))  # atom 1 is feature 0
        model.set_encoder(torch.tensor([[0.0, 0.5], [2.0, 0.0]]), torch.tensor([-0.5, -0.3]))
    values = encoder_reads.reads(model, torch.eye(2))
    # Feature 0's latent (1) reads 0.5 with bias -0.3: 0.5 * 0.5 - 0.3 < 0, silent at 0.5.
    # Feature 1's latent (0) reads 2 with bias -0.5: 0.5 * 2 - 0.5 > 0, fires.
    assert torch.allclose(values["read"], torch.tensor([0.5, 2.0]))
    assert torch.allclose(values["bias"], torch.tensor([-0.3, -0.5]))
    assert values["fires"].tolist() == [False, True]
    rows = encoder_reads.band_rows(values, torch.tensor([0.01, 0.1]), bands=2)
    assert rows == [
        "1 features, p 1.0e-01-1.0e-01 | 2.000 | -0.500 | 1.000",
        "1 features, p 1.0e-02-1.0e-02 | 0.500 | -0.300 | 0.000",
    ]
