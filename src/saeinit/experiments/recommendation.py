"""What we recommend on the toy data, in one place: the init, its init sample and the training
recipe per scenario, which `saeinit race` races by default and the docs state
(docs/recommendation.md)."""

from __future__ import annotations

from dataclasses import dataclass

RECOMMENDED = "modes+whitened"
"""The init we recommend on toy data (docs/recommendation.md): modes' atoms, read by the
whitened encoder."""


@dataclass(frozen=True)
class Recipe:
    """What we recommend beside the init on one toy scenario: an init sample that holds each
    of the rarest features alone at least twice (what modes needs to find it), and the training
    recipe that keeps the start: a slower decoder, learning-rate and L1 warm-ups and a final
    learning-rate decay (docs/recommendation.md)."""

    init_samples: int
    decoder_lr_scale: float
    warmup_steps: int = 1000
    lr_decay_fraction: float = 0.2

    def text(self, max_steps: int) -> str:
        """The recipe in --recipe's form, for a run of `max_steps` steps: a shorter budget
        shortens the warm-ups to the whole run, since they must end within it."""
        warmup = min(self.warmup_steps, max_steps)
        return (
            f"init_samples={self.init_samples} decoder_lr_scale={self.decoder_lr_scale:g} "
            f"lr_warmup_steps={warmup} l1_warmup_steps={warmup} "
            f"lr_decay_fraction={self.lr_decay_fraction:g}"
        )


RECIPES = {
    "128x256": Recipe(init_samples=131_072, decoder_lr_scale=0.1),
    "128x512": Recipe(init_samples=524_288, decoder_lr_scale=0.1),
    "128x1024": Recipe(init_samples=1_048_576, decoder_lr_scale=0.01),
}
"""The recommended recipe per scenario (elsewhere none: the recommended init races under the
reference recipe there)."""
