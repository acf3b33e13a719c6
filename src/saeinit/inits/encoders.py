"""The registry of encoder inits (--encoder-init): how W_enc and b_enc start once the
dictionary init has built the atoms.

An encoder init is a function `(atoms [n, d], sample [N, d] | None, InitConfig) -> (W_enc
[d, n], b_enc [n])` named by path and loaded when it runs, as the dictionary inits are
(`registry.py`); `default` has none and leaves nn.Linear's init. Adding one: a module with its
function and one line in `_ENCODER_INITS`.
"""

from __future__ import annotations

from typing import NamedTuple

from saeinit.lazy import load


class EncoderSpec(NamedTuple):
    name: str
    description: str
    function: str | None = None
    """Where its function is: "saeinit.inits.module:function" (None: nn.Linear's init stays)."""
    uses_sample: bool = False
    """True when it reads a fresh data sample (of `encoder.fit_samples` rows)."""
    follows_init_samples: bool = False
    """True when its sample grows to --init-samples where that is more than its default: a
    read-out fitted to codes needs the rare features the init's sample holds."""
    check: str | None = None
    """A function `(InitConfig, n_atoms)` refusing settings it cannot run with, called before
    the dictionary init so that a bad setting fails fast."""

    @property
    def fn(self):
        return load(self.function)


def tied(atoms, sample, config):
    """W_enc = W_dec^T and b_enc = 0: each latent starts as its atom's projection."""
    return atoms.T.clone(), atoms.new_zeros(len(atoms))


_ENCODER_INITS = (
    EncoderSpec("default", "nn.Linear's uniform init, as the reference"),
    EncoderSpec(
        "tied",
        "W_enc = W_dec^T and b_enc = 0 (Anthropic 2024, OpenAI's TopK)",
        "saeinit.inits.encoders:tied",
    ),
    EncoderSpec(
        "fitted",
        "the least-squares read-out of the matching-pursuit codes (--omp-k atoms) of a fresh "
        "init sample",
        "saeinit.inits.encoder:fitted",
        uses_sample=True,
        follows_init_samples=True,
        check="saeinit.inits.encoder:check_fitted",
    ),
    EncoderSpec(
        "balanced",
        "the fitted read-out with each latent scaled so that its top 1% of pre-activations on "
        "the sample is as high as the median latent's: none dead under a global top-k",
        "saeinit.inits.balanced:balanced",
        uses_sample=True,
        follows_init_samples=True,
        check="saeinit.inits.encoder:check_fitted",
    ),
    EncoderSpec(
        "whitened",
        "each latent reads its atom at scale 1 through the inverse second moment of a fresh "
        "init sample, firing --encoder-sigmas robust deviations above its median "
        "pre-activation",
        "saeinit.inits.whitened:whitened",
        uses_sample=True,
    ),
)
ENCODER_INITS: dict[str, EncoderSpec] = {spec.name: spec for spec in _ENCODER_INITS}
"""--encoder-init name -> its spec."""
