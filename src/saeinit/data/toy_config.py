"""Settings of the toy superposition data (no torch here: the command line reads them to list
its options)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from saeinit.config import (
    ConfigError,
    require_choice,
    require_in_unit_interval,
    require_non_negative,
    require_positive,
)
from saeinit.data.limits import FLOAT32_TINY, MAX_SQUARED_NORM, SUM_HEADROOM
from saeinit.seeding import require_seed

DECAY_LAWS = ("multiplicative", "power")
CORRELATION_DRAWS = ("batch", "sample")
COPULA_SCALES = ("reference", "unit")
_SCENARIO = re.compile(r"^\s*(\d+)\s*[x/]\s*(\d+)\s*$")
NOISE_SPREAD = 10.0
"""Bound on a noise vector's norm, in units of noise * sqrt(dim) (its typical norm)."""
MIN_SQUARED_COORDINATE = FLOAT32_TINY * SUM_HEADROOM
"""The smallest square of a typical coordinate (about 2e-31): float32's smallest normal number
times SUM_HEADROOM, so that errors 4096 times smaller than the data still square to normal
numbers instead of underflowing to 0."""


def parse_scenario(text: str) -> tuple[int, int]:
    """Parse a scenario such as "128x512" or "128/512" into (dim, features)."""
    match = _SCENARIO.match(text)
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise ConfigError(
            "scenario", f"expected DIMxFEATURES with positive integers (e.g. 128x512), got {text!r}"
        )
    return int(match.group(1)), int(match.group(2))


@dataclass
class ToyConfig:
    """Settings of the toy superposition data."""

    dim: int = 128
    """Dimension d of the observed data (the space the features are compressed into)."""
    features: int = 256
    """Number G of ground-truth features."""
    mean_active: float = 5.0
    """Target mean number of active features per sample."""
    decay: float = 0.99
    """Frequency decay: weight_i = decay**i (multiplicative) or (i+1)**-decay (power)."""
    decay_law: str = "multiplicative"
    """How feature frequency falls with the feature index: multiplicative or power."""
    correlated: bool = True
    """Correlate feature activations through a Gaussian copula (the reference default)."""
    correlation: str = "batch"
    """Draw the copula once per batch (the reference code) or once per sample."""
    copula: str = "reference"
    """reference: the normal CDF of the raw correlated draw, whose variance is about 1 +
    |min eigenvalue| (as the reference code; probabilities are pushed towards 0 or 1); unit:
    rescaled to unit variance, a true Gaussian copula with uniform marginals."""
    coef_min: float = 0.0
    """Lower end of the uniform range of an active feature's coefficient."""
    coef_max: float = 1.0
    """Upper end of the uniform range of an active feature's coefficient."""
    noise: float = 0.0
    """Standard deviation of Gaussian noise added to each observed coordinate."""
    dataset_size: int | None = None
    """Train on a fixed dataset of this many samples (drawn in --batch-size batches, each with
    its own copula draw, as fresh batches are), in batches of shuffled epochs; unset: a fresh
    batch per step."""
    seed: int = 0
    """Seed of the ground-truth features and of every batch drawn from them."""

    def __post_init__(self) -> None:
        require_positive("dim", self.dim)
        require_positive("features", self.features)
        require_positive("mean-active", self.mean_active)
        if self.mean_active > self.features:
            raise ConfigError("mean-active", f"cannot exceed --features ({self.features})")
        require_choice("decay-law", self.decay_law, DECAY_LAWS)
        require_choice("correlation", self.correlation, CORRELATION_DRAWS)
        require_choice("copula", self.copula, COPULA_SCALES)
        if self.decay_law == "multiplicative":
            require_in_unit_interval("decay", self.decay, open_left=True)
        else:
            require_non_negative("decay", self.decay)
        if not self.coef_min < self.coef_max:
            raise ConfigError("coef-min", "must be smaller than --coef-max")
        require_non_negative("coef-min", self.coef_min)
        require_positive("coef-max", self.coef_max)
        require_non_negative("noise", self.noise)
        require_positive("dataset-size", self.dataset_size, allow_none=True)
        if self.dataset_size is not None and self.dataset_size < 2:
            raise ConfigError(
                "dataset-size", "must be at least 2: an SAE cannot learn from one sample"
            )
        require_seed("seed", self.seed)  # --data-seed is checked where it is read
        self._check_scale()

    def _check_scale(self) -> None:
        """Refuse coefficients and noise whose samples are non-finite or degenerate in float32.

        The features have unit norm, so a sample's norm is at most features * coef_max (every
        feature active at the top of the range) plus the noise's, which stays below
        NOISE_SPREAD * noise * sqrt(dim); its square must stay within MAX_SQUARED_NORM. At the
        other end, a feature at coef_max must have coordinates (about coef_max / sqrt(dim)) whose
        squares are at least MIN_SQUARED_COORDINATE."""
        signal = max(self.features * self.coef_max, 1.0)  # an empty sample gets one feature at 1
        limit = math.sqrt(MAX_SQUARED_NORM)
        if signal > limit:
            raise ConfigError(
                "coef-max",
                f"must be at most {limit / self.features:.3g} with {self.features} features: a "
                f"sample with every feature active at --coef-max has norm {signal:.3g}, and "
                f"squared norms above {MAX_SQUARED_NORM:.2g} can overflow float32 (3.4e38) once "
                "summed over batches",
            )
        noise = NOISE_SPREAD * self.noise * math.sqrt(self.dim)
        if signal + noise > limit:
            raise ConfigError(
                "noise",
                f"must be at most {(limit - signal) / (NOISE_SPREAD * math.sqrt(self.dim)):.3g} "
                f"here: noise in {self.dim} dimensions reaches a norm of about "
                f"{NOISE_SPREAD:g} * noise * sqrt(dim) = {noise:.3g}, and squared norms above "
                f"{MAX_SQUARED_NORM:.2g} can overflow float32 (3.4e38) once summed over batches",
            )
        smallest = math.sqrt(MIN_SQUARED_COORDINATE * self.dim)
        if self.coef_max < smallest:
            raise ConfigError(
                "coef-max",
                f"must be at least {smallest:.3g} in {self.dim} dimensions: the data's "
                f"coordinates (about coef_max / sqrt(dim)) would have squares below "
                f"{MIN_SQUARED_COORDINATE:.2g}, where float32 loses the differences an SAE "
                "learns from",
            )

    @property
    def scenario(self) -> str:
        return f"{self.dim}x{self.features}"
