"""The training recipes beyond the reference: AuxK, the learning-rate and sparsity schedules,
a slower decoder, and re-seeded JumpReLU thresholds, each on small real computations."""

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.models import ReLUSAE, TopKSAE
from saeinit.models.jumprelu_sae import JumpReLUSAE
from saeinit.training.auxk import AuxK
from saeinit.training.config import TrainConfig
from saeinit.training.resample import resample
from saeinit.training.schedule import Schedule, build_optimizer
from saeinit.training.settings import RunConfig, config_from_settings, run_key
from saeinit.training.trainer import train

QUIET = dict(progress=False, eval_every=1, log_every=1)


def starved_topk(randomize) -> TopKSAE:
    """A TopK SAE (d 6, 12 latents, k 2) whose first three latents can never fire."""
    model = randomize(TopKSAE(6, 12, 2))
    with torch.no_grad():
        model.b_enc[:3] = -50.0
    return model


def batches(seed: int = 0, size: int = 64, dim: int = 6):
    generator = torch.Generator().manual_seed(seed)
    return iter(lambda: torch.randn(size, dim, generator=generator), None)


def test_auxk_gives_dead_latents_gradients_and_nothing_without_dead_latents(randomize):
    model = starved_topk(randomize)
    x = next(batches())
    auxk = AuxK(model, coefficient=1 / 32, dead_samples=64)
    out = model(x)
    assert auxk.loss(model, x, out) is None  # nothing has been silent for 64 samples yet
    auxk.update(out.acts.detach())
    dead = auxk.dead()
    assert dead[:3].all() and int(dead.sum()) >= 3
    out = model(x)
    out.loss.backward(retain_graph=True)  # the AuxK term shares the pre-activations
    assert not model.W_enc.grad[:, :3].any()  # the main loss never reaches them
    model.zero_grad()
    extra = auxk.loss(model, x, out)
    assert extra.item() > 0
    extra.backward()
    assert (model.W_enc.grad[:, :3].abs().sum(dim=0) > 0).all()
    assert not model.W_enc.grad[:, ~dead].any()  # only the dead latents are ranked


def test_auxk_is_the_scaled_mse_of_the_top_dead_pre_activations_worked_by_hand():
    model = TopKSAE(2, 3, 1)
    with torch.no_grad():
        model.W_enc.copy_(torch.eye(2, 3))
        model.b_enc.copy_(torch.tensor([0.0, -1.0, -2.0]))
        model.W_dec.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))
    auxk = AuxK(model, coefficient=0.5, dead_samples=1)  # k_aux = d / 2 = 1
    auxk.since_fired[1:] = 1  # latents 1 and 2 dead
    x = torch.tensor([[2.0, 3.0]])
    out = model(x)  # latent 0 fires with 2: x_hat = (2, 0), residual (0, 3)
    # dead pre-activations: 3 - 1 = 2 (latent 1), -2 (latent 2): latent 1 kept, atom (0, 1)
    # error = ((0, 2) - (0, 3))^2 / 2 = 0.5; two dead of k_aux 1: scale 1
    assert auxk.loss(model, x, out).item() == pytest.approx(0.5 * 0.5)


def test_auxk_counts_samples_since_each_latent_fired():
    auxk = AuxK(TopKSAE(4, 3, 1), coefficient=1.0, dead_samples=10)
    auxk.update(torch.tensor([[1.0, 0.0, 0.0]] * 6))
    auxk.update(torch.tensor([[0.0, 2.0, 0.0]] * 5))
    assert auxk.since_fired.tolist() == [5, 0, 11]
    assert auxk.dead().tolist() == [False, False, True]


def test_training_with_auxk_moves_the_dead_encoders_and_without_it_leaves_them(randomize):
    moved = {}
    for on in (False, True):
        model = starved_topk(randomize)
        before = model.W_enc[:, :3].detach().clone()
        config = TrainConfig(max_steps=5, auxk=on, auxk_dead_samples=64, **QUIET)
        train(model, batches(), config)
        moved[on] = (model.W_enc[:, :3] - before).abs().amax().item()
    assert moved[False] == 0.0 and moved[True] > 1e-4


def test_the_schedule_factors_match_the_hand_computed_ramps():
    config = TrainConfig(max_steps=100, lr_warmup_steps=10, lr_decay_fraction=0.2)
    schedule = Schedule(config)
    # warm-up (done + 1) / 10; decay over the last 20 updates: (100 - done) / 20
    expected = {0: 0.1, 4: 0.5, 9: 1.0, 50: 1.0, 80: 1.0, 90: 0.5, 99: 0.05}
    assert {done: schedule.lr_factor(done) for done in expected} == pytest.approx(expected)
    l1 = Schedule(TrainConfig(l1_warmup_steps=4))
    assert [l1.sparsity_factor(done) for done in range(6)] == [0.25, 0.5, 0.75, 1, 1, 1]
    default = Schedule(TrainConfig())
    assert {default.lr_factor(d) for d in (0, 19_999)} == {default.sparsity_factor(0)} == {1.0}


class RecordingReLU(ReLUSAE):
    """Records the sparsity scale of every training forward pass (gradients on)."""

    def forward(self, x, sparsity_scale=1.0):
        if torch.is_grad_enabled():
            self.scales.append(sparsity_scale)
        return super().forward(x, sparsity_scale)


def test_the_trainer_uses_the_scheduled_rates_and_coefficients(randomize, monkeypatch):
    rates = []
    step = torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        rates.extend(group["lr"] for group in self.param_groups)
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    model = randomize(RecordingReLU(6, 8, 0.5))
    model.scales = []
    settings = dict(lr=0.01, lr_warmup_steps=2, lr_decay_fraction=0.5, l1_warmup_steps=4)
    train(model, batches(), TrainConfig(max_steps=6, decoder_lr_scale=0.1, **settings, **QUIET))
    # lr: warm-up 1/2, 1, then the last 3 updates at 3/3, 2/3, 1/3; the decoder's at 0.1 x
    factors = [0.5, 1, 1, 1, 2 / 3, 1 / 3]
    assert rates == pytest.approx([rate * f for f in factors for rate in (0.01, 0.001)])
    assert model.scales == pytest.approx([0.25, 0.5, 0.75, 1, 1, 1])


def test_the_sparsity_scale_multiplies_the_coefficient_in_the_loss(randomize):
    model = randomize(ReLUSAE(6, 8, 0.5))
    x = next(batches())
    full, warming = model(x), model(x, sparsity_scale=0.25)
    assert warming.loss.item() == pytest.approx(full.mse.item() + 0.25 * 0.5 * full.sparsity.item())
    assert full.loss.item() == pytest.approx(full.mse.item() + 0.5 * full.sparsity.item())


def test_the_first_warm_up_update_moves_by_the_warmed_up_rate(randomize):
    """Adam's first update moves each weight by lr x g / (|g| + eps), i.e. by lr: the first
    of a 4-step warm-up at lr / 4 (one update as the trainer makes it)."""
    model = randomize(ReLUSAE(6, 8, 0.5))
    before = model.W_enc.detach().clone()
    config = TrainConfig(lr=0.01, max_steps=4, lr_warmup_steps=4, **QUIET)
    optimizer = build_optimizer(model, config)
    Schedule(config).set_lr(optimizer, 0)
    model(next(batches())).loss.backward()
    optimizer.step()
    assert (model.W_enc - before).abs().amax().item() == pytest.approx(0.0025, rel=1e-3)


def test_a_zero_decoder_rate_keeps_the_decoder_and_trains_the_encoder(randomize):
    model = randomize(ReLUSAE(6, 8, 0.5))
    W_dec, W_enc = model.W_dec.detach().clone(), model.W_enc.detach().clone()
    train(model, batches(), TrainConfig(max_steps=20, decoder_lr_scale=0.0, **QUIET))
    assert torch.allclose(model.W_dec, W_dec, atol=1e-6)
    assert (model.W_enc - W_enc).abs().amax().item() > 1e-3


def test_one_rate_is_one_adam_group_and_a_scaled_decoder_gets_its_own(randomize):
    model = randomize(ReLUSAE(6, 8, 0.5))
    assert len(build_optimizer(model, TrainConfig()).param_groups) == 1
    groups = build_optimizer(model, TrainConfig(lr=0.1, decoder_lr_scale=0.5)).param_groups
    assert [group["lr"] for group in groups] == [0.1, 0.05]
    assert groups[1]["params"] == [model.W_dec]


def test_a_reseeded_jumprelu_latent_restarts_from_the_initial_threshold(randomize):
    # a wide kernel, so that every threshold gets gradients and Adam state
    model = randomize(JumpReLUSAE(6, 8, bandwidth=2.0, init_threshold=0.05))
    with torch.no_grad():
        model.threshold.fill_(0.7)
    optimizer = build_optimizer(model, TrainConfig())
    model(next(batches())).loss.backward()
    optimizer.step()  # Adam now has state for every latent
    learnt = model.threshold.detach().clone()
    moments = optimizer.state[model.threshold]["exp_avg_sq"].clone()
    dead = torch.tensor([1, 4])
    residual = torch.randn(16, 6, generator=torch.Generator().manual_seed(3))
    assert resample(model, optimizer, dead, residual, torch.Generator().manual_seed(0)) == 2
    assert model.threshold[dead].tolist() == pytest.approx([0.05, 0.05])
    alive = torch.tensor([0, 2, 3, 5, 6, 7])
    assert torch.equal(model.threshold[alive], learnt[alive])
    state = optimizer.state[model.threshold]
    assert not state["exp_avg_sq"][dead].any() and moments[dead].any()
    assert torch.equal(state["exp_avg_sq"][alive], moments[alive])


@pytest.mark.parametrize(
    "settings, option",
    [
        ({"lr_warmup_steps": -1}, "lr-warmup-steps"),
        ({"l1_warmup_steps": 2.5}, "l1-warmup-steps"),
        ({"lr_decay_fraction": 1.5}, "lr-decay-fraction"),
        ({"decoder_lr_scale": -0.1}, "decoder-lr-scale"),
        ({"auxk_coefficient": float("nan")}, "auxk-coefficient"),
        ({"auxk_dead_samples": 0}, "auxk-dead-samples"),
    ],
)
def test_bad_recipe_settings_are_refused(settings, option):
    with pytest.raises(ConfigError) as err:
        TrainConfig(**settings)
    assert err.value.option == option


def test_recipes_enter_the_run_key_and_their_defaults_leave_it_alone():
    reference = run_key(RunConfig())
    assert run_key(config_from_settings({"auxk": False, "decoder_lr_scale": 1.0})) == reference
    recipes = [{"auxk": True}, {"lr_warmup_steps": 10}, {"lr_decay_fraction": 0.2},
               {"l1_warmup_steps": 10}, {"decoder_lr_scale": 0.5}, {"resample_every": 100},
               {"resample_every": 100, "resample_duplicates": 0.9},
               {"resample_every": 100, "resample_threshold": 0.3}]  # fmt: skip
    keys = {run_key(config_from_settings(recipe)) for recipe in recipes}
    assert len(keys) == len(recipes) and reference not in keys
