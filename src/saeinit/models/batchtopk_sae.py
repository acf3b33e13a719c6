"""BatchTopK SAE (Bussmann et al. 2024), as SAELens trains it: in training the k x batch
largest ReLU latents of the whole batch are kept; at inference, every latent above one global
threshold, a running average of the smallest activation training kept. Saved as SAELens saves
it: a JumpReLU SAE whose threshold is that value for every latent."""

from __future__ import annotations

import torch

from saeinit.config import ConfigError
from saeinit.models.base import SAE, batch_kept, cfg_number, firing_threshold
from saeinit.models.options import BatchTopKOptions


class BatchTopKSAE(SAE):
    """c = BatchTopK_{k x B}(ReLU(x W_enc + b_enc)) in training; c = ReLU(p) where p > threshold
    at inference. The loss is the MSE alone (dead latents are left to the trainer's --auxk
    or --resample-every). The trainer keeps atoms unit-norm, so SAELens' option of ranking
    activations times their atoms' norms (rescale_acts_by_decoder_norm) changes nothing here.

    Training is a forward pass in training mode with autograd recording (the trainer's step):
    it keeps the batch's top activations and moves the threshold. Any other pass uses the
    threshold and leaves it alone: after `model.eval()`, or under `torch.no_grad()` as the
    trainer's evaluation, the live-MMCS probe and `saeinit evaluate` run the model."""

    def __init__(
        self,
        d_in,
        d_sae,
        k: float = BatchTopKOptions.batchtopk_k,
        threshold_lr: float = BatchTopKOptions.batchtopk_threshold_lr,
        b_dec=False,
        apply_b_dec_to_input=True,
    ):
        super().__init__(d_in, d_sae, b_dec, apply_b_dec_to_input)
        self.k, self.threshold_lr = min(float(k), float(d_sae)), threshold_lr
        # float64 as SAELens (a running average of small steps); a buffer, not trained by Adam
        self.register_buffer("topk_threshold", torch.zeros((), dtype=torch.float64))

    def configure(self, config) -> None:
        self.k = min(float(config.batchtopk_k), float(self.d_sae))
        self.threshold_lr = config.batchtopk_threshold_lr

    calibrates = True

    @torch.no_grad()
    def calibrate(self, sample: torch.Tensor) -> None:
        """The threshold a training step on `sample` would move towards: the smallest of the
        k x batch largest activations, so that the start is evaluated at about k latents per
        sample rather than with every positive one (a threshold of 0)."""
        self.topk_threshold.fill_(firing_threshold(self.pre_activations(sample), self.k))

    def training_pass(self) -> bool:
        """Whether a forward pass now is a training step (see the class docstring)."""
        return self.training and torch.is_grad_enabled()

    def activate(self, pre_acts: torch.Tensor) -> torch.Tensor:
        acts = torch.relu(pre_acts)
        if not self.training_pass():
            return acts * (pre_acts > self.topk_threshold.to(pre_acts.dtype)).to(acts)
        flat = acts.flatten()
        top = flat.topk(batch_kept(self.k, pre_acts.shape[0], flat.numel()))
        acts = torch.zeros_like(flat).scatter(0, top.indices, top.values).reshape(acts.shape)
        self._update_threshold(acts.detach())
        return acts

    @torch.no_grad()
    def _update_threshold(self, acts: torch.Tensor) -> None:
        kept = acts[acts > 0]
        if kept.numel():
            smallest = kept.min().to(self.topk_threshold.dtype)
            self.topk_threshold.mul_(1 - self.threshold_lr).add_(self.threshold_lr * smallest)

    def saelens_settings(self) -> dict:
        # SAELens' BatchTopK training keys (its JumpReLU inference config ignores them)
        return {"k": self.k, "topk_threshold_lr": self.threshold_lr}

    def saelens_tensors(self) -> dict[str, torch.Tensor]:
        # as SAELens' BatchTopK saves its inference form: one threshold repeated per latent
        value = self.topk_threshold.to(self.b_enc.dtype)
        return {"threshold": value.expand(self.d_sae).clone()}

    def load_saelens_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        threshold = tensors["threshold"]
        if not torch.all(threshold == threshold[0]):
            raise ConfigError(
                "sae", "its threshold differs between latents; a batchtopk SAE has one for all"
            )
        self.topk_threshold.fill_(threshold[0].item())

    @classmethod
    def from_saelens(cls, cfg, d_in, d_sae, b_dec, apply) -> BatchTopKSAE:
        # our defaults stand in for a key SAELens' inference cfg.json leaves out, not for a null
        k = None if "k" in cfg else min(BatchTopKOptions.batchtopk_k, d_sae)
        k = cfg_number(cfg, "k", k, low=0.0, high=d_sae, low_open=True)
        rate = None if "topk_threshold_lr" in cfg else BatchTopKOptions.batchtopk_threshold_lr
        rate = cfg_number(cfg, "topk_threshold_lr", rate, low=0.0, high=1.0, low_open=True)
        return cls(d_in, d_sae, k, rate, b_dec, apply)
