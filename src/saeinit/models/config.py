"""Settings of the SAE: its architecture, shape, sparsity and how its encoder starts."""

from __future__ import annotations

from dataclasses import dataclass

from saeinit.config import ConfigError, require_choice, require_non_negative, require_positive

ARCHITECTURE_NAMES = ("relu", "topk")
"""The SAE architectures (`saeinit.models.ARCHITECTURES` maps them to their classes)."""
B_DEC_INITS = ("none", "zeros", "mean", "geometric_median")
NORMALIZATIONS = ("none", "expected_average_only_in")
ENCODER_INITS = ("default", "tied", "fitted")


@dataclass
class SAEConfig:
    """Architecture, shape, sparsity, decoder bias, encoder init and input normalisation."""

    architecture: str = "relu"
    """relu: the seed's SAE (ReLU latents, L1 penalty); topk: OpenAI's TopK SAE (the --k largest
    ReLU latents of each sample are kept, the loss is the MSE alone, --l1 is not used)."""
    k: int = 12
    """Latents kept per sample by the topk architecture (on 128x256 from orthogonal init,
    k = 5, 8 and 12 ended at 0.856, 0.913 and 0.977 MMCS after 10,000 steps)."""
    dict_size: int | None = None
    """Number of dictionary atoms n (unset: as many as ground-truth features)."""
    l1: float = 0.1
    """L1 coefficient alpha in loss = MSE + alpha * mean_batch(||c||_1) / n (relu only)."""
    encoder_init: str = "default"
    """default: nn.Linear's uniform init, as the reference; tied: W_enc = W_dec^T and b_enc = 0
    (Anthropic 2024, OpenAI's TopK); fitted: the least-squares read-out of the matching-pursuit
    codes (--omp-k atoms) of a fresh init sample, from whatever dictionary the init built (its
    time counts in the init's)."""
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

    def __post_init__(self) -> None:
        require_choice("architecture", self.architecture, ARCHITECTURE_NAMES)
        require_positive("k", self.k)
        require_positive("dict-size", self.dict_size, allow_none=True)
        if self.dict_size is not None and self.architecture == "topk" and self.k > self.dict_size:
            raise ConfigError("k", f"is {self.k}, more than the {self.dict_size} latents")
        require_non_negative("l1", self.l1)
        require_choice("encoder-init", self.encoder_init, ENCODER_INITS)
        require_choice("b-dec", self.b_dec, B_DEC_INITS)
        require_choice("normalize-activations", self.normalize_activations, NORMALIZATIONS)

    @classmethod
    def choices(cls) -> dict[str, tuple[str, ...]]:
        """The allowed values of the choice-valued fields, for the CLI."""
        return {
            "architecture": ARCHITECTURE_NAMES,
            "encoder_init": ENCODER_INITS,
            "b_dec": B_DEC_INITS,
            "normalize_activations": NORMALIZATIONS,
        }
