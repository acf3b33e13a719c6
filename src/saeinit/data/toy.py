"""Toy superposition data: G sparse features on the unit sphere in d dimensions.

The generator follows the setup of Sharkey et al. (2022) and the seed post (see TOY-SETUP.md):
feature frequencies decay with the feature index, activations are correlated through a Gaussian
copula, and every sample has at least one active feature.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
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
from saeinit.data.source import MAX_SQUARED_NORM, SUM_HEADROOM
from saeinit.seeding import torch_generator

DECAY_LAWS = ("multiplicative", "power")
CORRELATION_DRAWS = ("batch", "sample")
COPULA_SCALES = ("reference", "unit")
_SCENARIO = re.compile(r"^\s*(\d+)\s*[x/]\s*(\d+)\s*$")
NOISE_SPREAD = 10.0
"""Bound on a noise vector's norm, in units of noise * sqrt(dim) (its typical norm)."""
MIN_SQUARED_COORDINATE = torch.finfo(torch.float32).tiny * SUM_HEADROOM
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
    """Train on a fixed dataset of this many samples, in batches of shuffled epochs; unset: a
    fresh batch per step."""
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


class ToyBatch(NamedTuple):
    x: torch.Tensor
    """Observed data [n, d]."""
    coefficients: torch.Tensor
    """Ground-truth feature coefficients [n, G]."""


class ToyData:
    """Ground-truth features and a seeded sampler of batches from them."""

    def __init__(self, config: ToyConfig, device: torch.device | str = "cpu"):
        """Features and correlations are drawn on the CPU (the same on every device), then
        moved to `device`, where batches are generated."""
        self.config = config
        self.device = torch.device(device)
        g = torch_generator(config.seed, "features")
        G = config.features
        self.features = torch.nn.functional.normalize(
            torch.randn(G, config.dim, generator=g), dim=1
        )
        index = torch.arange(G, dtype=torch.float64)
        if config.decay_law == "multiplicative":
            self.weights = config.decay**index
        else:
            self.weights = (index + 1) ** -config.decay
        self._copula_factor = (
            self._copula_cholesky(G, g, config.copula == "unit") if config.correlated else None
        )
        self.features = self.features.to(self.device)
        self.weights = self.weights.to(self.device)
        if self._copula_factor is not None:
            self._copula_factor = self._copula_factor.to(self.device)

    @staticmethod
    def _copula_cholesky(G: int, g: torch.Generator, unit_variance: bool) -> torch.Tensor:
        """Cholesky factor of the reference's random covariance: U[0,1) entries, symmetrised,
        shifted to be positive definite; optionally rescaled to unit diagonal."""
        raw = torch.rand(G, G, generator=g, dtype=torch.float64)
        sym = (raw + raw.T) / 2
        shift = 1.001 * torch.linalg.eigvalsh(sym).min().abs()
        cov = sym + shift * torch.eye(G, dtype=torch.float64)
        if unit_variance:
            std = cov.diagonal().sqrt()
            cov = cov / std[:, None] / std[None, :]
        return torch.linalg.cholesky(cov)

    def probabilities(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Activation probabilities for a batch of n: [1, G] when the copula is drawn once per
        batch (or there is none), [n, G] when it is drawn per sample."""
        per_sample = self._copula_factor is not None and self.config.correlation == "sample"
        return self._draw_probabilities(n if per_sample else 1, generator).float()

    def _draw_probabilities(self, draws: int, generator: torch.Generator) -> torch.Tensor:
        """`draws` independent rows of feature probabilities [draws, G], float64."""
        cfg = self.config
        if self._copula_factor is None:
            p = self.weights * (cfg.mean_active / cfg.features)
            return p.clamp(max=1.0).expand(draws, -1)
        normal = torch.randn(
            draws, cfg.features, generator=generator, dtype=torch.float64, device=self.device
        )
        uniform = torch.special.ndtr(normal @ self._copula_factor.T)
        p = uniform * self.weights
        p = p * (cfg.mean_active / p.sum(dim=1, keepdim=True))
        return p.clamp(max=1.0)

    def sample(self, n: int, generator: torch.Generator) -> ToyBatch:
        """Draw n samples with their ground-truth coefficients."""
        cfg = self.config
        p = self.probabilities(n, generator)
        shape, device = (n, cfg.features), self.device
        active = torch.rand(shape, generator=generator, device=device) < p
        values = torch.rand(shape, generator=generator, device=device)
        values = values.mul_(cfg.coef_max - cfg.coef_min).add_(cfg.coef_min)
        coefficients = values.mul_(active)
        empty = (~active.any(dim=1)).nonzero().squeeze(1)
        if len(empty):
            chosen = torch.randint(cfg.features, (len(empty),), generator=generator, device=device)
            coefficients[empty, chosen] = 1.0
        x = coefficients @ self.features
        if cfg.noise > 0:
            x += cfg.noise * torch.randn(x.shape, generator=generator, device=device)
        return ToyBatch(x, coefficients)

    def expected_frequencies(self, draws: int = 4096, seed: int = 0) -> torch.Tensor:
        """Each feature's probability of being active in a sample, including the rule that gives
        an empty sample one uniformly chosen feature. Exact without correlation; with it, a Monte
        Carlo average over `draws` copula draws."""
        p = self._draw_probabilities(draws, torch.Generator(self.device).manual_seed(seed))
        p_empty = torch.prod(1 - p, dim=1, keepdim=True)
        return (p + p_empty / self.config.features).mean(dim=0)

    def stream(
        self,
        batch_size: int,
        seed: int,
        stream: str = "train",
        fired: torch.Tensor | None = None,
    ) -> Iterator[torch.Tensor]:
        """An endless iterator of fresh batches of observed data; `fired` [G], if given,
        counts each feature's activations in the batches drawn."""
        g = torch_generator(seed, stream, self.device)
        while True:
            yield self._counted(self.sample(batch_size, g), fired)

    def sampler(
        self,
        seed: int,
        stream: str = "init",
        batch_size: int = 256,
        fired: torch.Tensor | None = None,
    ):
        """A function n -> [n, d] drawing fresh samples from its own seeded stream, in batches
        of `batch_size` so that, as in training, each batch has its own copula draw."""
        g = torch_generator(seed, stream, self.device)

        def draw(n: int) -> torch.Tensor:
            sizes = [batch_size] * (n // batch_size) + [n % batch_size] * bool(n % batch_size)
            return torch.cat([self._counted(self.sample(size, g), fired) for size in sizes])

        return draw

    @staticmethod
    def _counted(batch: ToyBatch, fired: torch.Tensor | None) -> torch.Tensor:
        if fired is not None:
            fired += (batch.coefficients > 0).sum(dim=0)
        return batch.x
