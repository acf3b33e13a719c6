"""Settings of the training loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from saeinit.config import (
    ConfigError,
    require_device,
    require_in_unit_interval,
    require_integer,
    require_non_negative,
    require_positive,
    resolve_device,
)
from saeinit.seeding import require_seed

if TYPE_CHECKING:
    import torch

THRESHOLDS = (0.95, 0.98, 0.99)
"""The MMCS thresholds whose first crossing every run records."""
TOY_DATASET_DRAW = "batches"
"""How a fixed toy dataset (--dataset-size) is drawn: in training batches, each with its own
copula draw; results record it as "toy_dataset_draw" (earlier ones shared one draw among all
the dataset's samples)."""
STEP_UNIT = "batch"
"""A step is one optimiser update on one batch of --batch-size, whatever the data (a fixed
dataset's last batch of an epoch may be shorter); results record it as "step_unit"."""


@dataclass
class TrainConfig:
    """How the SAE is trained and when training stops."""

    batch_size: int = 256
    """Samples per optimiser step (a fixed dataset's last batch of an epoch holds the rest)."""
    lr: float = 1e-3
    """Adam learning rate."""
    max_steps: int = 20_000
    """Step budget: a step is one optimiser update on one batch of --batch-size, whatever the
    data (a fixed dataset is gone through in shuffled epochs, its epochs reported beside the
    steps); 0 evaluates the start and stops."""
    target_mmcs: float = 0.99
    """Stop as soon as MMCS reaches this value (needs ground-truth features); 1 never stops
    early: a start at the features (MMCS 1 up to rounding) still trains the whole budget."""
    resample_every: int | None = None
    """Every this many steps, re-seed the latents that did not fire since the last time from
    the residuals of the worst-reconstructed samples seen since then (Anthropic-style
    resampling; unset: never)."""
    resample_duplicates: float | None = None
    """With --resample-every: also re-seed each latent whose atom has a cosine above this
    with the atom of a latent that fired more since the last resampling. An L1 penalty costs
    the same whether one latent or two carry a feature, so a duplicate neither dies nor is
    resampled as dead, and holds a latent that a feature no atom has found could take (unset:
    dead latents only)."""
    resample_threshold: float = 0.0
    """With --resample-every: a re-seeded latent's encoder bias makes it fire only where the
    input's projection on its new atom exceeds this (in the units of the SAE's input), not on
    the half of all inputs that correlate with the atom by chance, whose gradients pull the
    atom off the feature it was seeded on; 0: bias 0 (Anthropic's resampling)."""
    target_fvu: float | None = None
    """Record the step, samples and seconds at which the held-out FVU first falls to this
    value (checked every --eval-every steps); training goes on to its budget."""
    eval_every: int = 10
    """Check MMCS (and thus the thresholds and the stop), and the target FVU, every this many
    steps."""
    log_every: int = 100
    """Record a full history row (MCC, loss, L0, dead latents) every this many steps."""
    eval_samples: int = 2048
    """Size of the held-out sample for L0, dead latents and reconstruction error (with
    --activations: the collection's last tokens, at most a tenth of them)."""
    threads: int | None = None
    """Torch CPU threads (unset: the cores not busy with other work)."""
    seed: int = 0
    """Seed of the init, the model and the order of training data."""
    device: str = "cpu"
    """Where training, data generation and metrics run: cpu, cuda, or auto (cuda if present)."""
    progress: bool = True
    """Show progress on stderr: training's as a bar on a terminal, else (a log, CI) a line
    every few seconds; a long init's as a line per stage (mod's rounds, the encoder)."""
    allow_collapse: bool = False
    """Finish a run that collapsed (almost no latent fires on the held-out sample, or none on
    any ground-truth feature presented alone) with exit code 0; its result and its store row
    still say it collapsed. Unset: a collapsed run ends with exit code 1, a sweep holding one
    too."""
    mcc: bool = False
    """Also record MCC in every history row: the mean |cosine| over a one-to-one (Hungarian)
    matching of features and atoms, as SAELens' synthetic benchmark reports it. Off by default:
    the matching costs the cube of the dictionary size, more than training at thousands of
    latents."""
    lr_warmup_steps: int = 0
    """Raise the learning rate linearly from 0 to --lr over the first this many steps (the
    first step at --lr / N), so that Adam's early, noisy updates do not knock a good start
    about; 0: no warm-up (the reference)."""
    lr_decay_fraction: float = 0.0
    """Lower the learning rate linearly to 0 over this fraction of --max-steps at the end of
    the budget (Anthropic's 2024 training update: 0.2), so that the last updates refine
    rather than jitter; 0: constant (the reference)."""
    l1_warmup_steps: int = 0
    """Raise the sparsity coefficient (relu's --l1, jumprelu's --jumprelu-l0) linearly from 0
    to its value over the first this many steps (Anthropic's 2024 update: 5% of the run), so
    that the penalty does not kill latents before the reconstruction has settled; 0: full
    coefficient from the start (the reference)."""
    decoder_lr_scale: float = 1.0
    """The decoder's learning rate as a multiple of --lr (Adam in two parameter groups), so
    that a good initial dictionary moves more slowly than the encoder that learns to read it;
    1: one rate for all (the reference), 0: the decoder stays as initialised."""
    auxk: bool = False
    """Add the AuxK loss (Gao et al. 2024), meant for topk and batchtopk but computed the same
    for every architecture: the top d/2 pre-activations of the dead latents (see
    --auxk-dead-samples) reconstruct the residual x - x_hat of the main reconstruction, so
    that latents which stopped firing get gradients towards what the others miss."""
    auxk_coefficient: float = 1 / 32
    """Weight of the AuxK loss (an MSE, as the main loss's) beside the loss, scaled down when
    fewer than d/2 latents are dead (Gao et al.: 1/32; SAELens' TopK and BatchTopK: 1)."""
    auxk_dead_samples: int = 256_000
    """With --auxk, a latent counts as dead once it has not fired on this many training
    samples (tokens, on activations): SAELens' window of 1,000 steps at the default
    --batch-size."""

    def __post_init__(self) -> None:
        for option in ("batch_size", "eval_every", "log_every", "eval_samples"):
            require_integer(option.replace("_", "-"), getattr(self, option))
        require_integer("max-steps", self.max_steps, minimum=0)
        require_positive("lr", self.lr)
        require_in_unit_interval("target-mmcs", self.target_mmcs, open_left=True)
        require_positive("target-fvu", self.target_fvu, allow_none=True)
        require_positive("resample-every", self.resample_every, allow_none=True)
        self._check_resampling()
        require_positive("threads", self.threads, allow_none=True)
        require_device("device", self.device)
        require_seed("seed", self.seed)
        for option in ("lr_warmup_steps", "l1_warmup_steps"):
            steps = getattr(self, option)
            require_integer(option.replace("_", "-"), steps, minimum=0)
            if steps > self.max_steps:
                raise ConfigError(
                    option.replace("_", "-"),
                    f"is {steps}, more than --max-steps {self.max_steps}: the warm-up would "
                    f"never finish; give at most {self.max_steps}",
                )
        require_integer("auxk-dead-samples", self.auxk_dead_samples)
        require_in_unit_interval("lr-decay-fraction", self.lr_decay_fraction)
        require_non_negative("decoder-lr-scale", self.decoder_lr_scale)
        require_non_negative("auxk-coefficient", self.auxk_coefficient)

    def reached(self, mmcs: float | None) -> bool:
        """Whether an MMCS of `mmcs` (None: no ground truth) stops training (--target-mmcs)."""
        return mmcs is not None and self.target_mmcs < 1 and mmcs >= self.target_mmcs

    def _check_resampling(self) -> None:
        """The options that shape resampling are refused without --resample-every."""
        if self.resample_duplicates is not None:
            require_in_unit_interval(
                "resample-duplicates", self.resample_duplicates, open_left=True
            )
        require_non_negative("resample-threshold", self.resample_threshold)
        if self.resample_every is not None:
            return
        for option, off in (("resample_duplicates", None), ("resample_threshold", 0.0)):
            if getattr(self, option) != off:
                raise ConfigError(
                    option.replace("_", "-"), "shapes resampling: set --resample-every too"
                )

    def torch_device(self) -> torch.device:
        """The device this config resolves to (auto: cuda if available)."""
        return resolve_device(self.device)
