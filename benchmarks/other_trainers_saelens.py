"""SAELens' own SAETrainer on stored activations, for `other_trainers.py`.

The trainer pulls its batches from `EvaluatedBatches`, an iterator over the seed's stream of
training batches that measures the SAE on the held-out tokens before every `eval_every`-th
batch, off the training clock: the curve needs no access to the trainer's internals.
"""

from __future__ import annotations

import time


class EvaluatedBatches:
    """The trainer's batch iterator: before every `every`-th batch it records the step, the
    training seconds so far, and FVU and L0 of `sae` on `eval_x`, its own time off the clock,
    so that the curve needs no access to the trainer's internals."""

    def __init__(self, batches, sae, eval_x, every: int):
        self.batches, self.sae, self.eval_x, self.every = batches, sae, eval_x, every
        self.step, self.seconds, self.last = 0, 0.0, None
        self.history: list[list[float]] = []

    def __iter__(self):
        return self

    def __next__(self):
        self._tick()
        if self.step % self.every == 0:
            self.evaluate()
        self.last = time.perf_counter()
        batch = next(self.batches)
        self.step += 1
        return batch

    def finish(self) -> dict:
        """Stop the clock after the trainer's last step; the final FVU, L0 and dead latents."""
        self._tick()
        return self.evaluate()

    def _tick(self) -> None:
        if self.last is not None:
            self.seconds += time.perf_counter() - self.last
            self.last = None

    def evaluate(self) -> dict:
        import torch

        from saeinit.metrics.activity import dead_latents, fvu, l0

        with torch.no_grad():
            acts = self.sae.encode(self.eval_x)
            x_hat = self.sae.decode(acts)
        row = {"fvu": fvu(self.eval_x, x_hat), "l0": l0(acts), "dead": dead_latents(acts)}
        self.history.append([self.step, self.seconds, row["fvu"], row["l0"]])
        return row


def train_saelens(task, weights_for) -> dict:
    """SAELens' SAETrainer on `task`; `weights_for(task, source, factor)` gives saeinit's
    (weights, seconds) for the mod arm."""
    import torch
    from sae_lens import SAETrainer, StandardTrainingSAE, StandardTrainingSAEConfig
    from sae_lens.config import SAETrainerConfig

    from saeinit import fill_saelens
    from saeinit.data.activations import ActivationsConfig, activation_source
    from saeinit.models.preprocess import norm_scaling_factor

    torch.set_num_threads(1)
    config = ActivationsConfig(activations=task.activations)
    source = activation_source(config, task.batch_size, task.seed, task.eval_samples)
    factor = norm_scaling_factor(source.stats(task.stats_samples).float())
    torch.manual_seed(task.seed)
    sae_config = StandardTrainingSAEConfig(
        d_in=source.dim, d_sae=task.dict_size, l1_coefficient=task.l1
    )
    sae = StandardTrainingSAE(sae_config)
    init_seconds = 0.0
    if task.arm == "mod":
        weights, init_seconds = weights_for(task, source, factor)
        fill_saelens(sae, weights)
    batches = EvaluatedBatches(
        (batch * factor for batch in source.batches), sae, source.eval_x * factor, task.eval_every
    )
    trainer_config = SAETrainerConfig(
        total_training_samples=task.steps * task.batch_size,
        train_batch_size_samples=task.batch_size,
        lr_end=SAETrainerConfig.lr / 10,
    )
    SAETrainer(trainer_config, sae, batches).fit()
    final = batches.finish()
    return {
        "init_seconds": init_seconds,
        "train_seconds": batches.seconds,
        "scaling_factor": factor,
        "lr": trainer_config.lr,
        "final": final,
        "history": batches.history,
    }
