"""The optimiser and what changes over a run: Adam's parameter groups (the decoder's learning
rate a multiple of the rest's) and the schedules of the learning rate and of the sparsity
coefficient. With every option at its default the rates and coefficient are those given,
constant, as the reference trains."""

from __future__ import annotations

import torch

from saeinit.models import SAE
from saeinit.training.config import TrainConfig


def build_optimizer(model: SAE, config: TrainConfig) -> torch.optim.Adam:
    """Adam at --lr, the decoder (W_dec) in a group of its own at --lr x --decoder-lr-scale
    when that is not 1. Each group remembers its full rate as "base_lr" for the schedule."""
    if config.decoder_lr_scale == 1:
        groups = [{"params": list(model.parameters()), "lr": config.lr}]
    else:
        rest = [param for param in model.parameters() if param is not model.W_dec]
        groups = [
            {"params": rest, "lr": config.lr},
            {"params": [model.W_dec], "lr": config.lr * config.decoder_lr_scale},
        ]
    optimizer = torch.optim.Adam(groups)
    for group in optimizer.param_groups:
        group["base_lr"] = group["lr"]
    return optimizer


def ramp(done: int, length: int) -> float:
    """A linear ramp over `length` updates: (done + 1) / length for the update that follows
    `done` others, 1 from the length-th on (and always 1 when length is 0)."""
    return 1.0 if length <= 0 else min(1.0, (done + 1) / length)


class Schedule:
    """The factors on the learning rate and on the sparsity coefficient for the update that
    follows `done` others: a warm-up ramp, and a linear decay over the last
    --lr-decay-fraction of --max-steps that ends at 1 / (decay steps) on the last update."""

    def __init__(self, config: TrainConfig):
        self.max_steps = config.max_steps
        self.lr_warmup, self.l1_warmup = config.lr_warmup_steps, config.l1_warmup_steps
        self.decay = round(config.lr_decay_fraction * config.max_steps)

    def lr_factor(self, done: int) -> float:
        decay = 1.0 if self.decay == 0 else min(1.0, (self.max_steps - done) / self.decay)
        return ramp(done, self.lr_warmup) * decay

    def sparsity_factor(self, done: int) -> float:
        return ramp(done, self.l1_warmup)

    def set_lr(self, optimizer: torch.optim.Optimizer, done: int) -> None:
        """Give every parameter group its base rate times the factor for this update."""
        factor = self.lr_factor(done)
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * factor
