"""Each architecture's own settings: one dataclass per architecture, merged into `SAEConfig`,
so that its fields (each with the docstring under it) become command-line options. No torch
here: the command line reads these to list its options."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from saeinit.config import (
    ConfigError,
    require_in_unit_interval,
    require_non_negative,
    require_positive,
    split_list,
)


class ArchitectureOptions:
    """Checks an architecture's options make. They run on the whole `SAEConfig`, so `self`
    has every setting."""

    shares: ClassVar[tuple[type, ...]] = ()
    """Other architectures' option classes whose settings this architecture reads too."""
    sparsity_coefficient: ClassVar[str | None] = None
    """The setting that weighs its sparsity term in the loss (which --l1-warmup-steps warms
    up); None: the architecture has none (its sparsity is a count of latents kept)."""

    def check_options(self) -> None:
        """Refuse bad values of this architecture's own fields (whichever architecture runs)."""

    def check_selected(self) -> None:
        """Refuse settings this architecture cannot run with (only when it is the one chosen)."""


@dataclass
class ReLUOptions(ArchitectureOptions):
    sparsity_coefficient: ClassVar[str | None] = "l1"
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
    sparsity_coefficient: ClassVar[str | None] = "jumprelu_l0"
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
    jumprelu_start_l0: float | None = None
    """Unset: every jumprelu threshold starts at --jumprelu-init-threshold. Set: after the init,
    every threshold starts at the one value at which a batch of the data fires this many
    latents per sample (as BatchTopK's inference threshold is set), with the encoder scaled by
    the least-squares gain of that batch's reconstruction, so that an informed start trains
    sparse from its first step instead of firing on every positive pre-activation while the
    thresholds climb at the learning rate's pace."""

    def check_options(self) -> None:
        require_non_negative("jumprelu-l0", self.jumprelu_l0)
        require_positive("jumprelu-bandwidth", self.jumprelu_bandwidth)
        require_non_negative("jumprelu-init-threshold", self.jumprelu_init_threshold)
        require_positive("jumprelu-start-l0", self.jumprelu_start_l0, allow_none=True)

    def check_selected(self) -> None:
        start = self.jumprelu_start_l0
        if start is not None and self.dict_size is not None and start > self.dict_size:
            raise ConfigError(
                "jumprelu-start-l0", f"is {start:g}, more than the {self.dict_size} latents"
            )


@dataclass
class BatchTopKOptions(ArchitectureOptions):
    batchtopk_k: float = 12.0
    """Latents the batchtopk and matryoshka architectures keep per sample on average: in
    training the k x batch largest ReLU latents of the whole batch (a sample may keep more or
    fewer than k), at inference every latent above the learned threshold. Not --k, which topk
    keeps in every sample."""
    batchtopk_threshold_lr: float = 0.01
    """Rate of the running average from which the batchtopk and matryoshka architectures
    learn their inference threshold: after each training batch, threshold += rate * (smallest
    kept activation - threshold) (SAELens' topk_threshold_lr)."""

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


def matryoshka_levels(widths: str | None, d_sae: int | None = None) -> tuple[int, ...]:
    """The nested widths `--matryoshka-widths` gives, the whole dictionary last: unset, d_sae/8,
    d_sae/4 and d_sae/2 (those of at least one latent); a list that stops short of d_sae gets
    d_sae added, as SAELens does. Without `d_sae` (the dictionary size not known yet), only the
    given widths, checked as far as they can be. ConfigError naming the option otherwise."""
    if widths is None:
        if d_sae is None:
            return ()
        halves = sorted({d_sae // 8, d_sae // 4, d_sae // 2} - {0})
        return tuple(w for w in halves if w < d_sae) + (d_sae,)
    if not isinstance(widths, str):
        raise ConfigError("matryoshka-widths", f"is a list of widths as 4,8,16, got {widths!r}")
    texts = split_list(widths)
    if not texts:
        raise ConfigError("matryoshka-widths", "names no width; give one or more, as 4,8,16")
    bad = [text for text in texts if not re.fullmatch(r"\d+", text) or int(text) < 1]
    if bad:
        raise ConfigError("matryoshka-widths", f"a width is an integer >= 1, got {bad[0]!r}")
    levels = tuple(int(text) for text in texts)
    if any(b <= a for a, b in zip(levels, levels[1:], strict=False)):
        raise ConfigError("matryoshka-widths", f"must increase strictly, got {widths!r}")
    if d_sae is None:
        return levels
    if levels[-1] > d_sae:
        raise ConfigError(
            "matryoshka-widths", f"{levels[-1]} is wider than the {d_sae} latents of the SAE"
        )
    return levels if levels[-1] == d_sae else (*levels, d_sae)


@dataclass
class MatryoshkaOptions(ArchitectureOptions):
    shares: ClassVar[tuple[type, ...]] = (BatchTopKOptions,)
    matryoshka_widths: str | None = None
    """Nested dictionary widths of the matryoshka architecture (a BatchTopK SAE, --batchtopk-k
    and --batchtopk-threshold-lr, trained to reconstruct with each prefix of its latents too),
    as 4,8,16: its loss adds the MSE of the first w latents' reconstruction for each width w to
    the whole dictionary's. The whole dictionary is always the last level (added when the list
    stops short of it, as SAELens does); unset: the dictionary size / 8, / 4 and / 2."""

    def check_options(self) -> None:
        matryoshka_levels(self.matryoshka_widths)

    def check_selected(self) -> None:
        BatchTopKOptions.check_selected(self)
        matryoshka_levels(self.matryoshka_widths, self.dict_size)
