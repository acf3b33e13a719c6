"""The registry of dictionary inits and the steps every init shares.

An init is a function `(InitRequest) -> InitWeights` registered under a name. It receives the
dictionary shape, a seeded generator and a way to draw data samples, which refuses NaN or inf
for every init alike (`FiniteDraw`); `initialize` times it and checks and normalises what it
returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch

from saeinit.config import (
    ConfigError,
    require_choice,
    require_in_unit_interval,
    require_non_negative,
    require_positive,
)
from saeinit.tensors import normalize_rows

DEFAULT_INIT_SAMPLES = 8192
"""Init sample size of an init that names no other (unset --init-samples)."""
SVD_FILLS = ("blocks", "data", "signed")
"""How the svd init fills more atoms than the d singular directions of one sample."""


@dataclass
class InitConfig:
    """Which init builds the starting dictionary, and its options."""

    init: str = "orthogonal"
    """Name of the dictionary init (`saeinit inits` lists them)."""
    init_samples: int | None = None
    """How many data samples an informed init may look at (unset: the init's own default, smaller
    for outliers, whose LocalOutlierFactor costs the square of it, and larger for mod; raised to
    what the init needs for the atoms it takes from its sample)."""
    svd_fill: str = "blocks"
    """How svd fills n > d atoms: blocks (singular vectors of disjoint samples), data (then data
    samples, as scikit-learn does), signed (both signs of each singular vector, blocks after)."""
    rare_ratio: float = 0.05
    """Fraction of the atoms a rare init (average, centroid, mixture, outliers, isolation) makes
    rare vectors; the count is round(ratio * n)."""
    rare_base: str = "data"
    """The init that fills the atoms a rare init does not replace (any non-rare init)."""
    centroid_batch_size: int = 1024
    """Batch size of the centroid init's MiniBatchKMeans."""
    lof_neighbors: int = 250
    """n_neighbors of the outliers init's LocalOutlierFactor (must be below the sample size)."""
    isolation_trees: int = 100
    """Trees (n_estimators) of the isolation init's IsolationForest."""
    isolation_subsample: int = 256
    """Samples each tree of the isolation init's IsolationForest is grown on (max_samples; a
    smaller init sample is used whole)."""
    mod_iters: int = 5
    """Rounds of matching pursuit and optimal directions of the mod init (more rounds start
    closer to the features but need not train faster from there: docs/informed-init.md, MOD
    rounds)."""
    omp_k: int = 6
    """Atoms per sample in the mod init's matching pursuit."""
    oracle_noise: float = 0.0
    """Noise of the oracle init: Gaussian of standard deviation oracle-noise / sqrt(d) added to
    each coordinate of each ground-truth feature before renormalisation (0: the features
    exactly)."""

    def __post_init__(self) -> None:
        get(self.init)
        require_positive("init-samples", self.init_samples, allow_none=True)
        require_choice("svd-fill", self.svd_fill, SVD_FILLS)
        require_in_unit_interval("rare-ratio", self.rare_ratio)
        if self.rare_base not in _REGISTRY:
            raise ConfigError(
                "rare-base", f"unknown init {self.rare_base!r}; choose one of {', '.join(names())}"
            )
        base = _REGISTRY[self.rare_base]
        if base.uses_base or base.needs_ground_truth:
            why = "mixes in rare vectors itself" if base.uses_base else "is a bound, not a method"
            raise ConfigError(
                "rare-base", f"{self.rare_base!r} {why}; choose one of {', '.join(bases())}"
            )
        require_positive("centroid-batch-size", self.centroid_batch_size)
        require_positive("lof-neighbors", self.lof_neighbors)
        require_positive("isolation-trees", self.isolation_trees)
        require_positive("isolation-subsample", self.isolation_subsample)
        require_positive("omp-k", self.omp_k)
        if self.mod_iters < 0:
            raise ConfigError("mod-iters", f"must be >= 0, got {self.mod_iters}")
        require_non_negative("oracle-noise", self.oracle_noise)


def finite_sample(sample: torch.Tensor) -> torch.Tensor:
    """`sample` [n, dim] as float32, refused (ConfigError) if any value is NaN or inf: an init
    would turn it into non-finite atoms or a scikit-learn traceback."""
    sample = sample.float()
    bad = int((~torch.isfinite(sample)).any(dim=1).sum())
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
    """The ground-truth features [G, dim] on the CPU when the data has them (toy data, a .npz
    file with features), else None; only an init registered with needs_ground_truth reads
    them."""

    def __post_init__(self) -> None:
        if not isinstance(self.draw, FiniteDraw):
            self.draw = FiniteDraw(self.draw)


class InitWeights(NamedTuple):
    W_dec: torch.Tensor
    """Decoder atoms [n_atoms, dim]; normalised to unit norm by `initialize`."""


class InitResult(NamedTuple):
    W_dec: torch.Tensor
    seconds: float


InitFn = Callable[[InitRequest], InitWeights]


class InitSpec(NamedTuple):
    name: str
    description: str
    fn: InitFn
    uses_base: bool = False
    """True for inits that build their base atoms with --rare-base (the rare inits)."""
    samples: int = DEFAULT_INIT_SAMPLES
    """The init sample size used when --init-samples is unset."""
    samples_per_atom: int = 1
    """When --init-samples is unset, the sample holds at least this many samples per atom."""
    needs_ground_truth: bool = False
    """True for an init built from the ground-truth features (an upper bound for benchmarks,
    not a method): it refuses a request without them, and cannot be a --rare-base."""


_REGISTRY: dict[str, InitSpec] = {}


def register(
    name: str,
    description: str,
    *,
    uses_base: bool = False,
    samples: int = DEFAULT_INIT_SAMPLES,
    samples_per_atom: int = 1,
    needs_ground_truth: bool = False,
) -> Callable[[InitFn], InitFn]:
    """Decorator that adds an init to the registry under `name`; `samples` is its default init
    sample size; `needs_ground_truth` marks an init that reads the request's features."""

    def add(fn: InitFn) -> InitFn:
        if name in _REGISTRY:
            raise ValueError(f"init {name!r} is registered twice")
        _REGISTRY[name] = InitSpec(
            name, description, fn, uses_base, samples, samples_per_atom, needs_ground_truth
        )
        return fn

    return add


def get(name: str) -> InitSpec:
    if name not in _REGISTRY:
        raise ConfigError("init", f"unknown init {name!r}; choose one of {', '.join(names())}")
    return _REGISTRY[name]


def names() -> list[str]:
    return list(_REGISTRY)


def available() -> list[InitSpec]:
    return list(_REGISTRY.values())


def bases() -> list[str]:
    """The inits a rare init may mix its rare vectors into: the methods that do not do so
    themselves (not the rare inits, nor an init built from the ground truth)."""
    return [spec.name for spec in available() if not (spec.uses_base or spec.needs_ground_truth)]


def choices() -> dict[str, list[str]]:
    """The allowed values of InitConfig's choice-valued fields, for the CLI."""
    return {"init": names(), "rare_base": bases(), "svd_fill": list(SVD_FILLS)}


def sample_size(request: InitRequest) -> int:
    """The init sample size: --init-samples, or when unset the running init's own default,
    raised to the number of vectors it picks from the sample (so LOF's quadratic cost does not
    grow with the dictionary size unless the rare count does)."""
    config = request.config
    if config.init_samples is not None:
        return config.init_samples
    spec = get(config.init)
    # A rare init picks only its rare vectors from its sample (its base draws its own).
    atoms = round(config.rare_ratio * request.n_atoms) if spec.uses_base else request.n_atoms
    needed = spec.samples_per_atom * atoms
    return max(spec.samples, needed)


def draw_sample(request: InitRequest, n: int | None = None) -> torch.Tensor:
    """Draw the init sample (default size: `sample_size`); the request's draw refuses NaN or
    inf."""
    return request.draw(sample_size(request) if n is None else n)


def sklearn_seed(generator: torch.Generator) -> int:
    """A scikit-learn random_state drawn from the init's generator, so one seed fixes both."""
    return int(torch.randint(2**31 - 1, (1,), generator=generator))


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
    W_dec = normalize_rows(weights.W_dec.float())
    seconds = time.perf_counter() - start
    expected = (request.n_atoms, request.dim)
    if tuple(W_dec.shape) != expected:
        raise RuntimeError(f"init {spec.name!r} returned {tuple(W_dec.shape)}, expected {expected}")
    if not torch.isfinite(W_dec).all():
        raise RuntimeError(f"init {spec.name!r} returned non-finite atoms")
    return InitResult(W_dec, seconds)
