"""The registry of dictionary inits: one line per init, naming the function that builds it.

An init is a function `(InitRequest) -> InitWeights` (see `request.py`) in a module of this
package. The registry names it by path and loads it when the init runs, so listing the inits
and checking a config import neither torch nor scikit-learn. Adding an init: a module with its
function and one line in `INITS`.
"""

from __future__ import annotations

from typing import NamedTuple

from saeinit.config import ConfigError
from saeinit.lazy import load

DEFAULT_INIT_SAMPLES = 8192
"""Init sample size of an init that names no other (unset --init-samples)."""
LOF_SAMPLES = 4096
"""Default init sample of the outliers init: LocalOutlierFactor costs the square of it."""


class InitSpec(NamedTuple):
    name: str
    description: str
    function: str
    """Where the init's function is: "saeinit.inits.module:function"."""
    uses_base: bool = False
    """True for inits that build their base atoms with --rare-base (the rare inits)."""
    samples: int = DEFAULT_INIT_SAMPLES
    """The init sample size used when --init-samples is unset."""
    samples_per_atom: int = 1
    """When --init-samples is unset, the sample holds at least this many samples per atom."""
    needs_ground_truth: bool = False
    """True for an init built from the ground-truth features (an upper bound for benchmarks,
    not a method): it refuses a request without them, and cannot be a --rare-base."""

    @property
    def fn(self):
        """The init's function, imported on first use."""
        return load(self.function)


def rare(name: str, vectors: str, function: str, samples: int = DEFAULT_INIT_SAMPLES) -> InitSpec:
    """A rare init: --rare-ratio of the atoms are its `vectors`, the rest --rare-base's."""
    described = f"--rare-ratio of {vectors}, the rest --rare-base"
    return InitSpec(name, described, function, uses_base=True, samples=samples)


_INITS = (
    InitSpec(
        "orthogonal",
        "torch's orthogonal init of the d x n decoder weight (the reference)",
        "saeinit.inits.baselines:orthogonal",
    ),
    InitSpec(
        "xavier",
        "Xavier (Glorot) uniform init of the d x n decoder weight",
        "saeinit.inits.baselines:xavier",
    ),
    InitSpec(
        "saelens",
        "SAELens' default decoder: kaiming-uniform rows of the n x d decoder (with --encoder-init "
        "tied, SAELens' default SAE)",
        "saeinit.inits.baselines:saelens",
    ),
    InitSpec(
        "data",
        "the n atoms are n random samples of the data, normalised (raw data init)",
        "saeinit.inits.data_samples:data",
    ),
    InitSpec(
        "svd",
        "right singular vectors of data samples (--svd-fill: how n > d atoms are filled)",
        "saeinit.inits.svd:svd",
        samples_per_atom=2,  # blocks of 2d samples, so that each block has d directions
    ),
    rare("average", "random samples minus their batch mean", "saeinit.inits.average:average"),
    rare(
        "centroid",
        "MiniBatchKMeans cluster members minus centroids",
        "saeinit.inits.centroid:centroid",
    ),
    rare(
        "mixture",
        "GaussianMixture (diagonal) members minus their component means",
        "saeinit.inits.mixture:mixture",
    ),
    rare(
        "outliers",
        "the samples LocalOutlierFactor finds most outlying",
        "saeinit.inits.outliers:outliers",
        LOF_SAMPLES,
    ),
    rare(
        "isolation",
        "the samples IsolationForest finds most outlying",
        "saeinit.inits.isolation:isolation",
    ),
    InitSpec(
        "modes",
        "directions repeated in the data (samples of one feature), then data samples",
        "saeinit.inits.dictlearn:modes",
    ),
    InitSpec(
        "mod",
        "modes, refined by --mod-iters rounds of matching pursuit and optimal directions (MOD)",
        "saeinit.inits.dictlearn:mod",
        samples=16384,
    ),
    InitSpec(
        "sae-mod",
        "data samples refined by --sae-mod-iters rounds of a tied BatchTopK SAE's codes and "
        "optimal directions (MOD)",
        "saeinit.inits.sae_mod:sae_mod",
        samples=65536,
    ),
    InitSpec(
        "oracle",
        "the ground-truth features (plus --oracle-noise), the rest data samples: an upper "
        "bound for benchmarks on data with known features, never a method",
        "saeinit.inits.oracle:oracle",
        needs_ground_truth=True,
    ),
)
_REGISTRY: dict[str, InitSpec] = {spec.name: spec for spec in _INITS}
"""Init name (--init) -> its spec, in the order `saeinit inits` lists them."""


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
