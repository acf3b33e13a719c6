"""Stopping a run whose loss or reconstruction error explodes (no torch import here: the
command line maps `TrainingDiverged` to its exit code without loading torch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DIVERGED_ERROR = 100.0
"""Training has diverged when its squared reconstruction error exceeds this many times the
squared norm of the inputs it reconstructs (this many times the ratio at step 0 when the
starting SAE was already worse than outputting zeros). An SAE that outputs zeros scores 1
and a sane one stays near or below 1 (its FVU near or below 1 on centred data), while one
that blows up scores thousands. Checked at every evaluation point on the training batches
since the last one (their errors are already computed, so the check costs a sum per batch)
and on the held-out sample of every history row."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite, or the reconstruction error exploded
    (`DIVERGED_ERROR`)."""


class DivergenceCheck:
    """Sums the training batches' squared errors and squared norms between evaluation points
    and raises TrainingDiverged when their ratio passes the limit (`DIVERGED_ERROR`)."""

    def __init__(self, first_row: dict, eval_x: torch.Tensor, lr: float):
        self.lr = lr
        self.eval_energy = eval_x.float().pow(2).mean().item()
        start = error_ratio(first_row["mse"], self.eval_energy)
        self.limit = DIVERGED_ERROR * max(1.0, start)
        self.error, self.energy = eval_x.new_zeros(()), eval_x.new_zeros(())

    def add(self, batch: torch.Tensor, mse: torch.Tensor) -> None:
        """Count one training batch whose mean squared error was `mse`."""
        self.error += mse.detach() * batch.numel()
        self.energy += batch.detach().float().pow(2).sum()

    def check_training(self, step: int) -> None:
        """Check the batches since the last call, then start a new count."""
        ratio = error_ratio(self.error.item(), self.energy.item())
        self.error, self.energy = self.error.new_zeros(()), self.energy.new_zeros(())
        self._check(ratio, step, "the training batches")

    def check_held_out(self, mse: float, step: int) -> None:
        self._check(error_ratio(mse, self.eval_energy), step, "the held-out sample")

    def _check(self, ratio: float, step: int, where: str) -> None:
        if ratio > self.limit:
            raise TrainingDiverged(
                f"by step {step} the squared reconstruction error on {where} was {ratio:.3g} "
                f"times their squared norm (limit {self.limit:.3g}; a sane SAE stays near or "
                f"below 1): lower --lr (now {self.lr:g}) or --l1, or check the data"
            )


def error_ratio(mse: float, energy: float) -> float:
    """Squared reconstruction error over the inputs' squared norm (both per entry); with
    all-zero inputs, 0 for an exact reconstruction and inf otherwise."""
    if energy > 0:
        return mse / energy
    return 0.0 if mse == 0 else float("inf")
