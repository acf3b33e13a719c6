"""Toy superposition data: G sparse features on the unit sphere in d dimensions.

The generator follows the setup of Sharkey et al. (2022) and the seed post (see TOY-SETUP.md):
feature frequencies decay with the feature index, activations are correlated through a Gaussian
copula, and every sample has at least one active feature.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import torch

from saeinit.data.toy_config import ToyConfig
from saeinit.seeding import torch_generator


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
        return lambda n: self._counted(self.sample_batches(n, g, batch_size), fired)

    def sample_batches(self, n: int, generator: torch.Generator, batch_size: int) -> ToyBatch:
        """n samples drawn as training draws them: in batches of `batch_size`, each with its
        own copula draw. (`sample(n)` shares one draw among all n: a dataset drawn that way
        would hold one set of feature probabilities, pushed towards 0 or 1.)"""
        sizes = [batch_size] * (n // batch_size) + [n % batch_size] * bool(n % batch_size)
        batches = [self.sample(size, generator) for size in sizes]
        return ToyBatch(*(torch.cat(parts) for parts in zip(*batches, strict=True)))

    @staticmethod
    def _counted(batch: ToyBatch, fired: torch.Tensor | None) -> torch.Tensor:
        if fired is not None:
            fired += (batch.coefficients > 0).sum(dim=0)
        return batch.x
