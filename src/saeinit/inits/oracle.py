"""The `oracle` init: the ground-truth features themselves, an upper bound for benchmarks.

It is not a method (no real data has its features known); it shows how far training keeps a
perfect start. The atoms are the unit-norm ground-truth features, each plus Gaussian noise of
standard deviation --oracle-noise / sqrt(d) per coordinate (a noise vector of norm about
--oracle-noise) before renormalisation. A dictionary with more atoms than features gets the
features first and random data samples for the rest, picked as the `data` init picks them; one
with fewer atoms than features gets the first ones, which are the most frequent (toy data
orders its features so, and a synthetic world's source orders them by how often they fire in
its held-out sample): the SAE narrower than the feature count that a benchmark such as
SynthSAEBench trains would ideally hold those. Data without ground truth is refused.
"""

from __future__ import annotations

import math

import torch

from saeinit.config import ConfigError
from saeinit.inits.data_samples import init_sample, pick_rows
from saeinit.inits.request import InitRequest, InitWeights
from saeinit.tensors import normalize_rows


def oracle(request: InitRequest) -> InitWeights:
    features = request.features
    if features is None:
        raise ConfigError(
            "init",
            "oracle starts from the ground-truth features, and this data has none (toy data, "
            "or a .npz file with features, has them); choose another init",
        )
    n_features, n_atoms = len(features), request.n_atoms
    atoms = normalize_rows(features[:n_atoms].detach().float().to(request.device))
    noise = request.config.oracle_noise
    if noise > 0:  # drawn on the CPU by the CPU generator: the same noise on every device
        draw = torch.randn(atoms.shape, generator=request.generator).to(request.device)
        atoms = normalize_rows(atoms + draw * (noise / math.sqrt(request.dim)))
    if n_atoms > n_features:
        what = "the oracle init's atoms beyond the features"
        rest = pick_rows(init_sample(request), n_atoms - n_features, request.generator, what)
        atoms = torch.cat([atoms, normalize_rows(rest)])
    return InitWeights(atoms)
