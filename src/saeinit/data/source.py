"""What a run trains on: one `Source` type for toy data, fixed datasets and activations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import torch


class Source(NamedTuple):
    """Where a run's data comes from."""

    dim: int
    batches: Iterator[torch.Tensor]
    """Training data, one batch per step (a fixed dataset: batches of shuffled epochs)."""
    draw: Callable[[int], torch.Tensor]
    """Draws n samples for the init, from a stream of their own."""
    eval_x: torch.Tensor
    """The held-out evaluation sample."""
    stats: Callable[[int], torch.Tensor]
    """Draws n samples from a stream of their own, for the statistics an SAE is set up with
    (normalisation factor, b_dec) without touching the init or training streams."""
    features: torch.Tensor | None = None
    """The ground-truth features, when known."""
    info: dict | None = None
    """What the result records about the data (activations: model, hook, token counts)."""
    fired: torch.Tensor | None = None
    """How often each ground-truth feature was active in the samples the init and training
    drew (toy data; a fixed dataset counts each distinct sample once)."""
    measure: Callable[..., dict] | None = None
    """measure(model, scale=1.0): metrics of the model beyond the trainer's own (a synthetic
    world's, by SAELens), for a model trained on the inputs multiplied by `scale`."""


def scaled(source: Source, factor: float) -> Source:
    """The same source with every sample multiplied by `factor` (ground truth unchanged)."""
    return source._replace(
        batches=(batch * factor for batch in source.batches),
        draw=lambda n: source.draw(n) * factor,
        eval_x=source.eval_x * factor,
        stats=lambda n: source.stats(n) * factor,
        measure=None if source.measure is None else lambda model: source.measure(model, factor),
    )


class CountedDraw:
    """A source's `draw` that counts the samples it hands out: an init's own samples, which
    samples-to-a-target figures add to the training samples."""

    def __init__(self, draw: Callable[[int], torch.Tensor]):
        self.draw, self.samples = draw, 0

    def __call__(self, n: int) -> torch.Tensor:
        drawn = self.draw(n)
        self.samples += len(drawn)
        return drawn
