"""EleutherAI sparsify's own Trainer on stored activations, for `other_trainers.py`.

sparsify's `Trainer(cfg, dataset, model)` takes a Hugging Face `PreTrainedModel` and a dataset
of token ids, runs the model over every batch and trains its SparseCoders (TopK SAEs) on the
outputs of hooked modules; it has no entry point for activations already collected. Here the
"model" is `StoredActivations`: a PreTrainedModel whose one layer returns rows of the stored
(scaled) activations, and whose "token ids" are row indices, drawn in exactly the order of the
batches of the SAELens arms (`shuffled_batches` over the row numbers with the seed's training
stream). sparsify then hooks `layers.0` and trains on those rows as it would on a transformer's.

Arms: `sparsify` is sparsify's own start (nn.Linear's encoder init, W_dec its unit-norm
transpose, b_dec set to the first batch's mean at step 0); `sparsify-mod` fills the coder the
Trainer built with saeinit's weights (`fill_sparsify`, the same weights as the SAELens mod arm)
and sets `finetune`, as `python -m sparsify --finetune DIR` does after loading a saved coder,
so that the step-0 b_dec reset is skipped. Everything else is sparsify's TrainConfig default
(k 32, FVU loss, no AuxK, lr chosen from the latent count) except the batch (one "sequence" of
256 rows), the latent count, wandb (off), where checkpoints go, and the optimiser
(`Task.sparsify_optimizer`: Adam, with sparsify's 1,000 warm-up steps and linear decay to 0;
its default, signum, takes a fixed-size step per weight whatever the gradient, which is made for
far larger batches).
"""

from __future__ import annotations

import time

import torch
from torch import nn

HOOK = "layers.0"


class RowIndices:
    """A stand-in for ActivationStore to `shuffled_batches`: its rows are their own indices
    (exact in float32 below 2**24), so the batches it yields are the row numbers of the
    batches the real store would give."""

    dim = 1

    def rows(self, low: int, high: int) -> torch.Tensor:
        return torch.arange(low, high, dtype=torch.float32)[:, None]


def stored_activations_model(table: torch.Tensor, factor: float = 1.0):
    """A PreTrainedModel with one layer mapping input_ids (row indices) to `table`'s rows,
    converted to float32 and multiplied by `factor` as they are read (a float32 table at
    factor 1 is read as it is)."""
    from transformers import PretrainedConfig, PreTrainedModel

    class Rows(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = nn.Parameter(table, requires_grad=False)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.table[ids].float() * factor

    class StoredActivations(PreTrainedModel):
        config_class = PretrainedConfig

        def __init__(self):
            super().__init__(PretrainedConfig(num_hidden_layers=1))
            self.layers = nn.ModuleList([Rows()])

        def forward(self, input_ids: torch.Tensor, **_) -> torch.Tensor:
            return self.layers[0](input_ids)

    return StoredActivations()


class EvaluatedRows(torch.utils.data.Dataset):
    """sparsify's dataset: item i is {"input_ids": the row numbers of batch i}. Before every
    `every`-th item it evaluates the trainer's coder on `eval_x` (under the optimiser's
    evaluation weights, as sparsify saves them), its time off the training clock."""

    def __init__(self, batches: list[torch.Tensor], eval_x: torch.Tensor, every: int):
        self.batches, self.eval_x, self.every = batches, eval_x, every
        self.trainer, self.seconds, self.last = None, 0.0, None
        self.history: list[list[float]] = []

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int) -> dict:
        self._tick()
        if index % self.every == 0:
            self.evaluate(index)
        self.last = time.perf_counter()
        return {"input_ids": self.batches[index]}

    def finish(self) -> dict:
        self._tick()
        return self.evaluate(len(self.batches))

    def _tick(self) -> None:
        if self.last is not None:
            self.seconds += time.perf_counter() - self.last
            self.last = None

    def evaluate(self, step: int) -> dict:
        from saeinit.metrics.activity import fvu

        coder = self.trainer.saes[HOOK]
        switch = [opt for opt in self.trainer.optimizers if hasattr(opt, "eval")]
        with torch.no_grad():
            for opt in switch:
                opt.eval()
            top_acts, top_indices, _ = coder.encode(self.eval_x)
            x_hat = coder.decode(top_acts, top_indices)
            for opt in switch:
                opt.train()
        fired = top_acts > 0
        l0 = fired.sum(dim=1).float().mean().item()
        live = torch.zeros(coder.num_latents, dtype=torch.bool)
        live[top_indices[fired]] = True
        row = {"fvu": fvu(self.eval_x, x_hat), "l0": l0, "dead": int((~live).sum())}
        self.history.append([step, self.seconds, row["fvu"], row["l0"]])
        return row


def train_sparsify(task, weights_for, checkpoints) -> dict:
    """Run one sparsify arm of `task` (other_trainers.Task) in this process; `weights_for(task,
    source, factor)` gives saeinit's (weights, seconds); sparsify writes its checkpoints under
    the folder `checkpoints`."""
    from sparsify import SparseCoderConfig, Trainer
    from sparsify.config import TrainConfig

    from saeinit import fill_sparsify
    from saeinit.data.activations import ActivationsConfig, activation_source
    from saeinit.data.activations.source import shuffled_batches
    from saeinit.models.preprocess import norm_scaling_factor
    from saeinit.seeding import torch_generator

    torch.set_num_threads(1)
    config = ActivationsConfig(activations=task.activations)
    source = activation_source(config, task.batch_size, task.seed, task.eval_samples)
    factor = norm_scaling_factor(source.stats(task.stats_samples).float())
    stop = source.info["train_tokens"]
    table = source_rows(task.activations, stop) * factor
    stream = shuffled_batches(
        RowIndices(), stop, task.batch_size, config.buffer_size, torch_generator(task.seed, "train")
    )
    batches = [next(stream)[:, 0].long() for _ in range(task.steps)]
    dataset = EvaluatedRows(batches, source.eval_x * factor, task.eval_every)
    init_seconds = 0.0
    informed = task.arm == "sparsify-mod"
    train_config = TrainConfig(
        SparseCoderConfig(num_latents=task.dict_size),
        batch_size=1,
        optimizer=task.sparsify_optimizer,
        log_to_wandb=False,
        init_seeds=[task.seed],
        save_dir=str(checkpoints),
        run_name=f"L{task.layer}-{task.arm}-seed{task.seed}",
        finetune="saeinit" if informed else None,
    )
    trainer = Trainer(train_config, dataset, stored_activations_model(table))
    dataset.trainer = trainer
    if informed:
        weights, init_seconds = weights_for(task, source, factor)
        fill_sparsify(trainer.saes[HOOK], weights)
    trainer.fit()
    final = dataset.finish()
    return {
        "init_seconds": init_seconds,
        "train_seconds": dataset.seconds,
        "scaling_factor": factor,
        "k": trainer.saes[HOOK].cfg.k,
        "final": final,
        "history": dataset.history,
    }


def source_rows(folder: str, stop: int) -> torch.Tensor:
    from pathlib import Path

    from saeinit.data.activations import ActivationStore

    return ActivationStore(Path(folder)).rows(0, stop).float()
