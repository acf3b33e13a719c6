"""Which init builds the starting dictionary, and its options (no torch here: the command line
reads this to list its options)."""

from __future__ import annotations

from dataclasses import dataclass

from saeinit.config import (
    ConfigError,
    require_choice,
    require_in_unit_interval,
    require_integer,
    require_non_negative,
    require_positive,
)
from saeinit.inits.registry import bases, get, names

SVD_FILLS = ("blocks", "data", "signed")
"""How the svd init fills more atoms than the d singular directions of one sample."""
CENTROID_BACKENDS = ("sklearn", "torch")
"""What clusters the centroid init's sample."""
OMP_CANDIDATES = 32
"""Default of --omp-candidates."""


@dataclass
class InitConfig:
    """Which init builds the starting dictionary, and its options."""

    init: str = "orthogonal"
    """Name of the dictionary init (`saeinit inits` lists them)."""
    init_samples: int | None = None
    """How many data samples an informed init may look at (unset: the init's own default, smaller
    for outliers, whose LocalOutlierFactor costs the square of it, and larger for mod; raised to
    what the init needs for the atoms it takes from its sample). The fitted encoder is fitted on
    as many samples when that is more than its own default, unless --encoder-samples says."""
    thin_cosine: float | None = None
    """Thin the init's samples (the dictionary's and the encoder's) where they crowd: a row
    with m other rows within this cosine of it (the sample's mean removed) is kept with
    probability min(1, --thin-neighbors / m), so that near-identical rows (on real
    activations, token types that recur almost unchanged) do not draw more atoms than they
    need, which a per-token TopK trainer then drops for good (unset: every row is kept)."""
    thin_neighbors: int = 2
    """With --thin-cosine: about how many rows of a crowd of near-identical rows are kept."""
    encoder_samples: int | None = None
    """Samples the fitted or whitened encoder (--encoder-init) is built from (unset: 16,384; for
    the fitted encoder --init-samples when more). The fitted encoder regresses each latent's
    read-out on the samples whose codes use it, so its sample must hold the rarest features
    wanted often enough; the whitened one needs only the data's second moment. Beyond that,
    more samples only cost time (linear in their number)."""
    encoder_sigmas: float = 1.5
    """Bias of the whitened encoder (--encoder-init whitened): each latent fires where its
    pre-activation stands this many robust standard deviations (1.4826 x the median absolute
    deviation) above its median over the encoder's sample, so that the other features'
    interference alone rarely reaches it (0: at its median)."""
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
    centroid_backend: str = "sklearn"
    """What clusters the centroid init's sample: sklearn (MiniBatchKMeans on the CPU, as in the
    seed post) or torch (Lloyd's k-means from k-means++ seeds, in torch on the init's device:
    the choice for a GPU or a large dictionary)."""
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
    omp_candidates: int = OMP_CANDIDATES
    """Atoms the matching pursuit of mod and of the fitted encoder considers for each sample of
    a large dictionary: the ones the sample correlates with most, so that it correlates the
    sample with the whole dictionary once instead of at each of the --omp-k steps. Smaller
    dictionaries (up to a multiple of this) are searched whole at every step, as is any with
    0."""
    sae_mod_k: int = 16
    """Mean atoms per sample in the sae-mod init's codes (its tied BatchTopK SAE's k)."""
    sae_mod_iters: int = 30
    """Rounds of BatchTopK coding and optimal directions of the sae-mod init."""
    oracle_noise: float = 0.0
    """Noise of the oracle init: Gaussian of standard deviation oracle-noise / sqrt(d) added to
    each coordinate of each ground-truth feature before renormalisation (0: the features
    exactly)."""

    def __post_init__(self) -> None:
        get(self.init)
        require_positive("init-samples", self.init_samples, allow_none=True)
        require_positive("encoder-samples", self.encoder_samples, allow_none=True)
        if self.thin_cosine is not None and not 0 < self.thin_cosine < 1:
            raise ConfigError("thin-cosine", f"must be in (0, 1), got {self.thin_cosine!r}")
        require_integer("thin-neighbors", self.thin_neighbors)
        require_non_negative("encoder-sigmas", self.encoder_sigmas)
        require_choice("svd-fill", self.svd_fill, SVD_FILLS)
        require_in_unit_interval("rare-ratio", self.rare_ratio)
        if self.rare_base not in names():
            raise ConfigError(
                "rare-base", f"unknown init {self.rare_base!r}; choose one of {', '.join(names())}"
            )
        base = get(self.rare_base)
        if base.uses_base or base.needs_ground_truth:
            why = "mixes in rare vectors itself" if base.uses_base else "is a bound, not a method"
            raise ConfigError(
                "rare-base", f"{self.rare_base!r} {why}; choose one of {', '.join(bases())}"
            )
        require_positive("centroid-batch-size", self.centroid_batch_size)
        require_choice("centroid-backend", self.centroid_backend, CENTROID_BACKENDS)
        require_positive("lof-neighbors", self.lof_neighbors)
        require_positive("isolation-trees", self.isolation_trees)
        require_positive("isolation-subsample", self.isolation_subsample)
        require_positive("omp-k", self.omp_k)
        if self.omp_candidates != 0 and self.omp_candidates < self.omp_k:
            if self.omp_candidates == OMP_CANDIDATES:  # not set: the atoms asked for are
                raise ConfigError(
                    "omp-k",
                    f"is {self.omp_k}, more than the {OMP_CANDIDATES} atoms --omp-candidates "
                    "considers for each sample; raise --omp-candidates to at least that (0: "
                    "the whole dictionary)",
                )
            raise ConfigError(
                "omp-candidates",
                f"must be 0 or at least --omp-k ({self.omp_k}), got {self.omp_candidates}",
            )
        if self.mod_iters < 0:
            raise ConfigError("mod-iters", f"must be >= 0, got {self.mod_iters}")
        require_positive("sae-mod-k", self.sae_mod_k)
        require_non_negative("sae-mod-iters", self.sae_mod_iters)
        require_non_negative("oracle-noise", self.oracle_noise)


def choices() -> dict[str, list[str]]:
    """The allowed values of InitConfig's choice-valued fields, for the CLI."""
    return {
        "init": names(),
        "rare_base": bases(),
        "svd_fill": list(SVD_FILLS),
        "centroid_backend": list(CENTROID_BACKENDS),
    }
