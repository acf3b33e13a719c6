"""Settings of the SAE: its architecture and shape, each architecture's own options, the
decoder bias, how the encoder starts and the input normalisation."""

from __future__ import annotations

from dataclasses import dataclass, fields

from saeinit.config import ConfigError, require_choice, require_integer
from saeinit.inits.encoders import ENCODER_INITS
from saeinit.models.registry import ARCHITECTURES

B_DEC_INITS = ("none", "zeros", "mean", "geometric_median")
NORMALIZATIONS = ("none", "expected_average_only_in")


@dataclass
class SharedSAEOptions:
    """The settings every architecture has."""

    architecture: str = "relu"
    """relu: the seed's SAE (ReLU latents, L1 penalty); topk: OpenAI's TopK SAE (the --k largest
    ReLU latents of each sample are kept, the loss is the MSE alone, --l1 is not used);
    jumprelu: a learned threshold per latent and an L0 penalty (--jumprelu-*); batchtopk: the
    --batchtopk-k x batch largest activations of a batch in training, a learned threshold at
    inference; matryoshka: a batchtopk SAE whose loss adds the reconstruction of each prefix of
    its latents (--matryoshka-widths)."""
    dict_size: int | None = None
    """Number of dictionary atoms n (unset: as many as ground-truth features)."""
    encoder_init: str = "default"
    """How the encoder starts, from whatever dictionary the init built (its time counts in the
    init's): default: nn.Linear's uniform init, as the reference; tied: W_enc = W_dec^T and
    b_enc = 0 (Anthropic 2024, OpenAI's TopK); fitted: the least-squares read-out of the
    matching-pursuit codes (--omp-k atoms) of a fresh init sample; whitened: each latent reads
    its atom at scale 1 through the sample's inverse second moment, with a bias at
    --encoder-sigmas (a rare feature's latent fires on it from the start, where the fitted
    read-out shrinks with the feature's frequency)."""
    b_dec: str = "none"
    """Decoder bias: none (the reference SAE has none), or a trained b_dec initialised to zeros,
    the mean or the geometric median of a data sample (SAELens' b_dec init methods); with a
    b_dec, the informed inits draw their sample minus b_dec."""
    apply_b_dec_to_input: bool = True
    """With a b_dec: subtract it from the input before encoding (SAELens' default)."""
    normalize_activations: str = "none"
    """none, or expected_average_only_in: train on the data scaled by sqrt(d) / E||x||
    (estimated on a sample), as SAELens; a saved SAE has the factor folded into its weights
    and works on unscaled data."""


# The shared settings come first, then each registered architecture's own (its Options).
@dataclass
class SAEConfig(*reversed([arch.options for arch in ARCHITECTURES.values()]), SharedSAEOptions):
    """Architecture, shape, sparsity, decoder bias, encoder init and input normalisation."""

    def __post_init__(self) -> None:
        require_choice("architecture", self.architecture, tuple(ARCHITECTURES))
        if self.dict_size is not None:
            require_integer("dict-size", self.dict_size)
        for arch in ARCHITECTURES.values():
            arch.options.check_options(self)
        ARCHITECTURES[self.architecture].options.check_selected(self)
        self._refuse_unread_options()
        require_choice("encoder-init", self.encoder_init, tuple(ENCODER_INITS))
        require_choice("b-dec", self.b_dec, B_DEC_INITS)
        require_choice("normalize-activations", self.normalize_activations, NORMALIZATIONS)

    def _refuse_unread_options(self) -> None:
        """Refuse another architecture's option set away from its default: the chosen
        architecture would ignore it."""
        options = ARCHITECTURES[self.architecture].options
        read = {options, *options.shares}
        for arch in ARCHITECTURES.values():
            if arch.options in read:
                continue
            for option in fields(arch.options):
                if getattr(self, option.name) != option.default:
                    users = [
                        a.name for a in ARCHITECTURES.values() if _reads(a.options, option.name)
                    ]
                    raise ConfigError(
                        option.name.replace("_", "-"),
                        f"is a setting of --architecture {' and '.join(users)}; "
                        f"{self.architecture} would ignore it: leave it out",
                    )

    @classmethod
    def choices(cls) -> dict[str, tuple[str, ...]]:
        """The allowed values of the choice-valued fields, for the CLI."""
        return {
            "architecture": tuple(ARCHITECTURES),
            "encoder_init": tuple(ENCODER_INITS),
            "b_dec": B_DEC_INITS,
            "normalize_activations": NORMALIZATIONS,
        }


def reads_setting(architecture: str, setting: str) -> bool:
    """Whether `architecture` reads the SAE setting named `setting` (a field name)."""
    return _reads(ARCHITECTURES[architecture].options, setting)


def _reads(options: type, setting: str) -> bool:
    """Whether an architecture with these options reads the setting named `setting`."""
    return any(setting in {f.name for f in fields(owner)} for owner in (options, *options.shares))
