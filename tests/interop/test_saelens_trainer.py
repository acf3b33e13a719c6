"""SAELens' own trainer trains from a folder `saeinit init` wrote, loaded by SAELens' loader."""

import itertools

import pytest
import torch

from saeinit.cli import main

sae_lens = pytest.importorskip("sae_lens")
from sae_lens import SAETrainer, StandardTrainingSAE  # noqa: E402
from sae_lens.config import SAETrainerConfig  # noqa: E402

BATCH, STEPS = 32, 10


def test_saelens_trainer_trains_from_a_saeinit_init_folder(tmp_path, toy):
    folder = tmp_path / "init"
    args = ["init", "--scenario", "16x32", "--init", "mod", "--encoder-init", "fitted"]
    args += ["--b-dec", "zeros", "--threads", "1", "--eval-samples", "64"]
    assert main([*args, "--save", str(folder)]) == 0
    sae = StandardTrainingSAE.load_from_disk(folder)
    start = {name: value.detach().clone() for name, value in sae.named_parameters()}
    batches = itertools.cycle(toy[0][: BATCH * 4].split(BATCH))
    # lr_end: what SAELens' runner config sets by default (lr / 10; a constant schedule
    # ignores it), which SAETrainerConfig leaves to its caller
    config = SAETrainerConfig(
        total_training_samples=BATCH * STEPS, train_batch_size_samples=BATCH, lr=1e-3, lr_end=1e-4
    )
    trainer = SAETrainer(config, sae, batches)
    trained = trainer.fit()
    assert trainer.n_training_steps == STEPS
    # one more step through the trainer's own step, which returns the loss
    assert torch.isfinite(trainer.step(next(batches)).loss)
    for name, value in trained.named_parameters():
        assert torch.isfinite(value).all(), name
    moved = [
        name for name, value in trained.named_parameters() if not torch.equal(value, start[name])
    ]
    assert set(moved) == {"W_enc", "b_enc", "W_dec", "b_dec"}
