"""The trainers of `wide_sae.py`: SAELens' SAETrainer (BatchTopK, JumpReLU, Matryoshka) and
sparsify's Trainer (TopK SparseCoder) on stored activations, each from its own init or
saeinit's.

The plumbing is other_trainers'. SAELens' trainer pulls its batches from an iterator over the
seed's stream of training batches (`activation_source`'s shuffling buffer, scaled); sparsify's
from a stand-in model whose "token ids" are row numbers drawn in exactly that order
(`other_trainers_sparsify`), over the collection's rows kept in their stored dtype (float16
here: 4M rows of 384 floats would take 6 GB in float32) and scaled as they are read. Both
record, before the steps of `schedule`, FVU, L0 and dead latents of the trainer's SAE on the
held-out tokens, their time off the training clock, and at the end the latents that did not
fire during the last quarter of the training steps by the trainer's own counter (`unfired`):
the held-out tokens are the collection's last ones, a few documents, so a latent of a topic
they lack counts as dead there while it fires in training.
"""

from __future__ import annotations

import time

import torch
from other_trainers_saelens import EvaluatedBatches
from other_trainers_sparsify import HOOK, EvaluatedRows, RowIndices, stored_activations_model

COLUMNS = ["step", "train_seconds", "fvu", "l0", "dead"]
"""The columns of a run's history."""


def schedule(steps: int, every: int) -> set[int]:
    """The steps evaluated: 0, the powers of 2 (the start, where saeinit's runs cross), and
    every `every`-th step; the last is evaluated by `finish`."""
    marks = {0} | set(range(0, steps, every))
    power = 1
    while power < steps:
        marks.add(power)
        power *= 2
    return marks


class ScheduledBatches(EvaluatedBatches):
    """EvaluatedBatches evaluated at the steps of a set, with dead latents in the history."""

    def __init__(self, batches, sae, eval_x, marks: set[int]):
        super().__init__(batches, sae, eval_x, every=1)
        self.marks = marks

    def __next__(self):
        self._tick()
        if self.step in self.marks:
            self.evaluate()
        self.last = time.perf_counter()
        batch = next(self.batches)
        self.step += 1
        return batch

    def evaluate(self) -> dict:
        row = super().evaluate()
        self.history[-1].append(row["dead"])
        return row


class ScheduledRows(EvaluatedRows):
    """EvaluatedRows evaluated at the steps of a set, with dead latents in the history."""

    def __init__(self, batches, eval_x, marks: set[int]):
        super().__init__(batches, eval_x, every=1)
        self.marks = marks

    def __getitem__(self, index: int) -> dict:
        self._tick()
        if index in self.marks:
            self.evaluate(index)
        self.last = time.perf_counter()
        return {"input_ids": self.batches[index]}

    def evaluate(self, step: int) -> dict:
        row = super().evaluate(step)
        self.history[-1].append(row["dead"])
        return row


def saelens_sae(task, dim: int):
    """SAELens' training SAE of `task.trainer`: its config's defaults but the sizes (and k,
    and Matryoshka's groups: 1/8, 1/4, 1/2 and all of the width) and `task.saelens_config`."""
    from sae_lens import (
        BatchTopKTrainingSAE,
        BatchTopKTrainingSAEConfig,
        JumpReLUTrainingSAE,
        JumpReLUTrainingSAEConfig,
        MatryoshkaBatchTopKTrainingSAE,
        MatryoshkaBatchTopKTrainingSAEConfig,
    )

    from saeinit.models.options import matryoshka_levels

    sizes = {"d_in": dim, "d_sae": task.width} | dict(task.saelens_config)
    if task.trainer == "batchtopk":
        return BatchTopKTrainingSAE(BatchTopKTrainingSAEConfig(**sizes, k=task.k))
    if task.trainer == "matryoshka":
        groups = list(matryoshka_levels(None, task.width))  # saeinit's default groups
        config = MatryoshkaBatchTopKTrainingSAEConfig(**sizes, k=task.k, matryoshka_widths=groups)
        return MatryoshkaBatchTopKTrainingSAE(config)
    return JumpReLUTrainingSAE(JumpReLUTrainingSAEConfig(**sizes))


def calibrated_threshold(sae, sample: torch.Tensor, task) -> tuple[float, dict]:
    """Set SAELens' JumpReLU SAE's one initial threshold (its `jumprelu_init_threshold`) to
    where its own default init fires `task.k` latents per row of `sample`; its seconds and
    stages. SAELens' 0.01 fires most latents, and Adam moves a threshold by about lr per step,
    so within a short budget the default never becomes sparse and no L0 matches."""
    start = time.perf_counter()
    with torch.no_grad():
        pre = (sample - sae.b_dec) @ sae.W_enc + sae.b_enc
        flat = pre.reshape(-1)
        threshold = flat.kthvalue(len(flat) - int(task.k * len(sample))).values.clamp_min(1e-6)
        sae.threshold.fill_(threshold)
    seconds = time.perf_counter() - start
    return seconds, {"thresholds": seconds}


def train_saelens(task, source, factor: float, weights_for) -> dict:
    """SAELens' SAETrainer on `task`: SAETrainerConfig's defaults (Adam, lr 3e-4, constant)
    except the budget, the batch and lr_end (lr / 10, as SAELens' runner sets it)."""
    from sae_lens import SAETrainer
    from sae_lens.config import SAETrainerConfig

    from saeinit import fill_saelens

    torch.manual_seed(task.seed)
    sae = saelens_sae(task, source.dim)
    init_seconds, stages = 0.0, {}
    if task.start == "saeinit":
        start = weights_for(task)
        init_seconds, stages = start["seconds"], start["stages"]
        fill_saelens(sae, start["weights"], start["threshold"])
    elif task.draws_init_sample:  # JumpReLU's default: its threshold set on the sample
        init_seconds, stages = calibrated_threshold(sae, source.draw(task.init_rows) * factor, task)
    batches = ScheduledBatches(
        (batch * factor for batch in source.batches),
        sae,
        source.eval_x * factor,
        schedule(task.steps, task.eval_every),
    )
    config = SAETrainerConfig(
        total_training_samples=task.steps * task.batch,
        train_batch_size_samples=task.batch,
        lr_end=SAETrainerConfig.lr / 10,
    )
    trainer = SAETrainer(config, sae, batches)
    trainer.fit()
    final = batches.finish()
    final["unfired"] = int((trainer.n_forward_passes_since_fired >= task.steps // 4).sum())
    return {
        "init_seconds": init_seconds,
        "init_stages": stages,
        "train_seconds": batches.seconds,
        "lr": config.lr,
        "final": final,
        "history": batches.history,
    }


def train_sparsify(task, source, factor: float, weights_for, checkpoints) -> dict:
    """sparsify's Trainer on `task`: TrainConfig's defaults (k 32, FVU loss, lr from the
    latent count, 1,000 warm-up steps) except the sizes, k, the batch (one "sequence" of
    `task.batch` rows), the optimiser (`task.sparsify_optimizer`), wandb and the checkpoints'
    folder; saeinit's start is written in with `fill_sparsify` and `finetune` set, so that
    the Trainer keeps its b_dec."""
    from sparsify import SparseCoderConfig, Trainer
    from sparsify.config import TrainConfig

    from saeinit import fill_sparsify
    from saeinit.data.activations import ActivationStore
    from saeinit.data.activations.source import shuffled_batches
    from saeinit.seeding import torch_generator

    stop = source.info["train_tokens"]
    table = stored_table(ActivationStore(task.activations_path()), stop)
    stream = shuffled_batches(
        RowIndices(), stop, task.batch, task.buffer_size, torch_generator(task.seed, "train")
    )
    batches = [next(stream)[:, 0].long() for _ in range(task.steps)]
    marks = schedule(task.steps, task.eval_every)
    dataset = ScheduledRows(batches, source.eval_x * factor, marks)
    informed = task.start == "saeinit"
    config = TrainConfig(
        SparseCoderConfig(num_latents=task.width, k=task.k),
        batch_size=1,
        optimizer=task.sparsify_optimizer,
        **dict(task.sparsify_config),
        log_to_wandb=False,
        init_seeds=[task.seed],
        save_dir=str(checkpoints),
        run_name=task.name(),
        finetune="saeinit" if informed else None,
    )
    trainer = Trainer(config, dataset, stored_activations_model(table, factor))
    dataset.trainer = trainer
    init_seconds, stages = 0.0, {}
    if informed:
        start = weights_for(task)
        init_seconds, stages = start["seconds"], start["stages"]
        fill_sparsify(trainer.saes[HOOK], start["weights"])
    trainer.fit()
    final = dataset.finish()
    since = trainer.num_tokens_since_fired[HOOK]
    final["unfired"] = int((since >= task.steps // 4 * task.batch).sum())
    return {
        "init_seconds": init_seconds,
        "init_stages": stages,
        "train_seconds": dataset.seconds,
        "lr": trainer.optimizers[0].param_groups[0].get("initial_lr"),
        "final": final,
        "history": dataset.history,
    }


def stored_table(store, stop: int) -> torch.Tensor:
    """Rows 0..stop-1 of a collection as one float16 tensor, read a shard at a time (a
    collection stored in float16 is kept exactly; one in float32 is rounded)."""
    table = torch.empty(stop, store.dim, dtype=torch.float16)
    for shard in range(len(store.shards)):
        low, high = store.offsets[shard], min(store.offsets[shard + 1], stop)
        if low < high:
            table[low:high] = store.read(shard, 0, high - low)
    return table
