"""Each architecture's own settings: one dataclass per architecture, merged into `SAEConfig`,
so that its fields (each with the docstring under it) become command-line options. No torch
here: the command line reads these to list its options."""

from __future__ import annotations

from dataclasses import dataclass

from saeinit.config import (
    ConfigError,
    require_in_unit_interval,
    require_non_negative,
    require_positive,
)


class ArchitectureOptions:
    """Checks an architecture's options make. They run on the whole `SAEConfig`, so `self`
    has every setting."""

    def check_options(self) -> None:
        """Refuse bad values of this architecture's own fields (whichever architecture runs)."""

    def check_selected(self) -> None:
        """Refuse settings this architecture cannot run with (only when it is the one chosen)."""


@dataclass
class ReLUOptions(ArchitectureOptions):
    l1: float = 0.1
    """L1 coefficient alpha in loss = MSE + alpha * mean_batch(||c||_1) / n (relu only)."""

    def check_options(self) -> None:
        require_non_negative("l1", self.l1)


@dataclass
class TopKOptions(ArchitectureOptions):
    k: int = 12
    """Latents kept per sample by the topk architecture."""

    def check_options(self) -> None:
        require_positive("k", self.k)

    def check_selected(self) -> None:
        if self.dict_size is not None and self.k > self.dict_size:
            raise ConfigError("k", f"is {self.k}, more than the {self.dict_size} latents")


@dataclass
class JumpReLUOptions(ArchitectureOptions):
    jumprelu_l0: float = 0.01
    """L0 coefficient lambda of the jumprelu architecture: loss = MSE + lambda * mean_batch(L0)
    / d, i.e. SAELens' loss (summed squared error + l0_coefficient * L0) divided by the width d,
    so lambda is SAELens' l0_coefficient (Adam's steps do not see the 1/d)."""
    jumprelu_bandwidth: float = 0.05
    """Width of the rectangle kernel through which the jumprelu architecture's thresholds get
    gradients (straight-through estimator), in units of pre-activations (SAELens' default)."""
    jumprelu_init_threshold: float = 0.01
    """Initial threshold of every jumprelu latent (SAELens' default); a latent fires when its
    pre-activation exceeds its threshold."""

    def check_options(self) -> None:
        require_non_negative("jumprelu-l0", self.jumprelu_l0)
        require_positive("jumprelu-bandwidth", self.jumprelu_bandwidth)
        require_non_negative("jumprelu-init-threshold", self.jumprelu_init_threshold)


@dataclass
class BatchTopKOptions(ArchitectureOptions):
    batchtopk_k: float = 12.0
    """Latents the batchtopk architecture keeps per sample on average: in training the
    k x batch largest ReLU latents of the whole batch (a sample may keep more or fewer than
    k), at inference every latent above the learned threshold. Not --k, which topk keeps in
    every sample."""
    batchtopk_threshold_lr: float = 0.01
    """Rate of the running average from which the batchtopk architecture learns its
    inference threshold: after each training batch, threshold += rate * (smallest kept
    activation - threshold) (SAELens' topk_threshold_lr)."""

    def check_options(self) -> None:
        require_positive("batchtopk-k", self.batchtopk_k)
        require_in_unit_interval(
            "batchtopk-threshold-lr", self.batchtopk_threshold_lr, open_left=True
        )

    def check_selected(self) -> None:
        if self.dict_size is not None and self.batchtopk_k > self.dict_size:
            raise ConfigError(
                "batchtopk-k",
                f"is {self.batchtopk_k:g}, more than the {self.dict_size} latents",
            )
