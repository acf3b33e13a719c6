"""Pinned CPU results: each init's atoms (and the fitted encoder) on small fixed requests, as
SHA-256 digests of their float32 bytes.

The digests of every init but mod, and of the fitted encoder, were taken before the inits were
made to run on any device (2026-12-01, commit 4b722fa): those results are unchanged, bit for
bit. mod's changed on purpose then (preconditioned dictionary update, screened duplicate
search: docs/performance.md), and the screened matching pursuit and the torch k-means were new;
their digests guard them from here on. mod's and the whole-search fitted encoder's changed again
when a dictionary searched whole (at most SEARCH_WHOLE times the candidates) came to be coded in
its Gram matrix's space (one product with the dictionary per sample instead of one per step):
picks and coefficients as before up to rounding. saelens' digests were taken when it was
added (2026-12-06). A different torch build or CPU may round
differently, so the test runs only where the digests were taken (torch 2.13.0+cpu, AVX2).
"""

import hashlib

import pytest
import torch

from saeinit import inits
from saeinit.data import ToyConfig, ToyData
from saeinit.inits import InitConfig, InitRequest, initialize
from saeinit.inits.encoder import fitted_encoder

pytestmark = pytest.mark.skipif(
    (torch.__version__, torch.backends.cpu.get_cpu_capability()) != ("2.13.0+cpu", "AVX2"),
    reason="the digests were taken with torch 2.13.0+cpu on an AVX2 CPU",
)

TOY = ToyData(ToyConfig(dim=12, features=48, mean_active=2.0))
SMALL = {"init_samples": 1024, "rare_ratio": 0.25}
"""Small samples, and a quarter of the atoms rare vectors."""
EXTRA = {
    "mod-screened": ("mod", 200, {"omp_k": 3, "omp_candidates": 6, "mod_iters": 2}),
    "centroid-torch": ("centroid", 48, {"centroid_backend": "torch"}),
}
"""Cases beyond each init with the defaults and with SMALL: (init, atoms, options)."""
DIGESTS = {
    "defaults": {
        "orthogonal": "14c2dbe13f78a427",
        "xavier": "b08f51013541506e",
        "saelens": "1d7ccbe0cdba1e6a",
        "data": "189064e0a883ee54",
        "svd": "ef44172a6a7bd3b4",
        "average": "021f46eb23cd5080",
        "centroid": "43647fda073cb392",
        "mixture": "e7029f716441cbd5",
        "outliers": "82f574c13829935a",
        "isolation": "70e93522b79ba24d",
        "modes": "b3f456c1161fc26f",
        "mod": "b3ba8923679147bb",
        "oracle": "02ec2c369c6a4be8",
    },
    "small": {
        "orthogonal": "14c2dbe13f78a427",
        "xavier": "b08f51013541506e",
        "saelens": "1d7ccbe0cdba1e6a",
        "data": "7aec3c562cef41d1",
        "svd": "5cb2646252b86985",
        "average": "0d67f7bfdd959251",
        "centroid": "c78b8f370d1d1264",
        "mixture": "696b53b7dd0cacf2",
        "outliers": "95af68188b0e6069",
        "isolation": "49888e8eaf207b89",
        "modes": "1d76adfa80cc3ee1",
        "mod": "1f6823f2de7ed137",
        "oracle": "965153bdcf3b0780",
    },
    "extra": {"mod-screened": "fc1311d47d3e13d6", "centroid-torch": "cc4af37f36400f67"},
}
ENCODER = {
    "whole": ("648cbf1e2b531897", "b5e297b93d32d235"),
    "screened": ("c9cfea027b85561e", "4bf9579c27507c71"),
}
"""Digests of the fitted encoder's W_enc and b_enc: over the 48 toy features with the defaults
(a dictionary that small is searched whole), and over mod-screened's 200 atoms with 3 atoms
per sample among 3 candidates."""


def digest(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.contiguous().numpy().tobytes()).hexdigest()[:16]


def atoms(init: str, n_atoms: int = 48, **options) -> torch.Tensor:
    """The init's atoms for n_atoms on the toy data, seed 3 for the samples and the init; the
    oracle gets half as many features as atoms."""
    features = TOY.features[: n_atoms // 2] if init == "oracle" else None
    generator = torch.Generator().manual_seed(3)
    config = InitConfig(init=init, **options)
    return initialize(InitRequest(n_atoms, 12, generator, TOY.sampler(3), config, features)).W_dec


@pytest.fixture(autouse=True)
def one_thread():
    """The digests were taken with one thread (a product split over threads rounds otherwise)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("init", inits.names())
def test_each_init_gives_its_pinned_atoms(init):
    assert digest(atoms(init)) == DIGESTS["defaults"][init]
    assert digest(atoms(init, **SMALL)) == DIGESTS["small"][init]


@pytest.mark.parametrize("case", EXTRA)
def test_the_new_paths_give_their_pinned_atoms(case):
    init, n_atoms, options = EXTRA[case]
    assert digest(atoms(init, n_atoms, **options)) == DIGESTS["extra"][case]


@pytest.mark.parametrize("case", ENCODER)
def test_the_fitted_encoder_gives_its_pinned_weights(case):
    sample = TOY.sampler(5)(2048)
    if case == "whole":
        W_enc, b_enc = fitted_encoder(TOY.features, sample, 6, InitConfig().omp_candidates)
    else:
        init, n_atoms, options = EXTRA["mod-screened"]
        W_enc, b_enc = fitted_encoder(atoms(init, n_atoms, **options), sample, 3, 3)
    assert (digest(W_enc), digest(b_enc)) == ENCODER[case]
