"""What an init is given and returns, and the steps every init shares: drawing its sample
(NaN and inf refused for every init alike by `FiniteDraw`) onto the request's device, seeding
scikit-learn, and `initialize`, which times the init and checks and normalises its atoms.

An init computes on `InitRequest.device`, where `draw_sample` puts its sample; its random
choices come from the request's CPU generator whatever the device, so that a seed picks the
same samples everywhere. The scikit-learn steps (MiniBatchKMeans, GaussianMixture,
LocalOutlierFactor, IsolationForest) copy their sample to the CPU."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from saeinit.config import ConfigError
from saeinit.inits.config import InitConfig
from saeinit.inits.registry import get
from saeinit.inits.thinning import thinned
from saeinit.tensors import elapsed, non_finite_rows, normalize_rows


def finite_sample(sample: torch.Tensor) -> torch.Tensor:
    """`sample` [n, dim] as float32, refused (ConfigError) if any value is NaN or inf: an init
    would turn it into non-finite atoms or a scikit-learn traceback."""
    sample = sample.float()
    bad = non_finite_rows(sample)
    if bad:
        raise ConfigError(
            "init-samples",
            f"{bad} of the {len(sample)} samples drawn for the init contain NaN or inf values; "
            "the init needs finite data",
        )
    return sample


class FiniteDraw:
    """A draw function whose samples are checked by `finite_sample`: every draw an init makes
    goes through it, so no init can skip the check."""

    def __init__(self, draw: Callable[[int], torch.Tensor]):
        self.draw = draw

    def __call__(self, n: int) -> torch.Tensor:
        return finite_sample(self.draw(n))


@dataclass
class InitRequest:
    """What an init is given: the dictionary shape, randomness, data and options."""

    n_atoms: int
    dim: int
    generator: torch.Generator
    draw: Callable[[int], torch.Tensor]
    """Draws n data samples [n, dim] as float32, refusing NaN or inf (wrapped in FiniteDraw on
    construction); each call gives fresh ones where the source allows."""
    config: InitConfig
    features: torch.Tensor | None = None
    """The ground-truth features [G, dim] when the data has them (toy data, a .npz file with
    features), else None; only an init registered with needs_ground_truth reads them."""
    device: torch.device | str = torch.device("cpu")
    """Where the init computes and returns its atoms (its samples are moved there)."""
    report: Callable[[str], None] = lambda stage: None  # noqa: E731
    """Told each stage a long init reaches ("round 2/5"), for its progress lines."""

    def __post_init__(self) -> None:
        if not isinstance(self.draw, FiniteDraw):
            self.draw = FiniteDraw(self.draw)
        self.device = torch.device(self.device)


class InitWeights(NamedTuple):
    W_dec: torch.Tensor
    """Decoder atoms [n_atoms, dim]; normalised to unit norm by `initialize`."""


class InitResult(NamedTuple):
    W_dec: torch.Tensor
    """Unit-norm atoms [n_atoms, dim] on the request's device."""
    seconds: float


InitFn = Callable[[InitRequest], InitWeights]


def sample_size(request: InitRequest) -> int:
    """The init sample size: --init-samples, or when unset the running init's own default,
    raised to the number of vectors it picks from the sample (so LOF's quadratic cost does not
    grow with the dictionary size unless the rare count does)."""
    config = request.config
    if config.init_samples is not None:
        return config.init_samples
    return max(get(config.init).samples, samples_needed(request))


def samples_needed(request: InitRequest) -> int:
    """The samples the running init picks vectors from: its samples per atom times its atoms
    (a rare init's rare vectors only: its base draws its own)."""
    config = request.config
    spec = get(config.init)
    atoms = round(config.rare_ratio * request.n_atoms) if spec.uses_base else request.n_atoms
    return spec.samples_per_atom * atoms


def draw_sample(request: InitRequest, n: int | None = None) -> torch.Tensor:
    """Draw the init sample (default size: `sample_size`) onto the request's device; the
    request's draw refuses NaN or inf. With --thin-cosine, fewer rows: those `thinned` keeps,
    refused (naming --thin-cosine) when the init's own sample keeps fewer than it needs."""
    drawn = request.draw(sample_size(request) if n is None else n).to(request.device)
    config = request.config
    if config.thin_cosine is None:
        return drawn
    sample = thinned(drawn, config.thin_cosine, config.thin_neighbors, request.generator)
    if n is None and len(sample) < samples_needed(request):
        raise ConfigError(
            "thin-cosine",
            f"kept {len(sample)} of the {len(drawn)} samples drawn, fewer than the "
            f"{samples_needed(request)} the {config.init} init needs for its atoms; raise "
            "--thin-cosine or --thin-neighbors, or draw more with --init-samples",
        )
    return sample


def sklearn_seed(generator: torch.Generator) -> int:
    """A scikit-learn random_state drawn from the init's generator, so one seed fixes both."""
    return int(torch.randint(2**31 - 1, (1,), generator=generator))


def on_cpu(fit: Callable[[np.ndarray], tuple], sample: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Run a scikit-learn step `fit` (a numpy sample in, a tuple of arrays out) on a CPU copy
    of `sample` within `sklearn_threads`, and return its arrays as tensors on the sample's
    device: scikit-learn runs on the CPU only."""
    with sklearn_threads():
        arrays = fit(sample.cpu().numpy())
    return tuple(torch.from_numpy(np.asarray(array)).to(sample.device) for array in arrays)


def sklearn_threads():
    """Context that caps scikit-learn's BLAS and OpenMP threads at torch's thread count, so an
    init respects --threads as training does."""
    # Loaded here, not with the registry, so that only an init using scikit-learn pays for it.
    # threadpoolctl limits the libraries loaded when the context starts; importing sklearn
    # first loads its OpenMP runtime and SciPy's BLAS, as the module-level imports used to.
    import sklearn  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=torch.get_num_threads())


def initialize(request: InitRequest) -> InitResult:
    """Run the configured init, timing it and checking its atoms."""
    spec = get(request.config.init)
    start = time.perf_counter()
    weights = spec.fn(request)
    W_dec = normalize_rows(weights.W_dec.float().to(request.device))
    seconds = elapsed(start, W_dec)
    expected = (request.n_atoms, request.dim)
    if tuple(W_dec.shape) != expected:
        raise RuntimeError(f"init {spec.name!r} returned {tuple(W_dec.shape)}, expected {expected}")
    if not torch.isfinite(W_dec).all():
        raise RuntimeError(f"init {spec.name!r} returned non-finite atoms")
    return InitResult(W_dec, seconds)
