"""The training loop: Adam on the reference loss, stopping at a target MMCS or a step budget.
A step is one optimiser update on one batch, whatever the data; a fixed dataset's epochs are
reported beside the steps. Live MMCS is checked with MMCS, and has crossings of its own. The
recipes beyond the reference (schedules, a slower decoder, AuxK) are off by default and live
in `schedule.py` and `auxk.py`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import torch

from saeinit import metrics
from saeinit.models import SAE
from saeinit.models.base import ForwardOutput
from saeinit.tensors import elapsed, normalize_rows
from saeinit.training.auxk import AuxK
from saeinit.training.collapse import collapse
from saeinit.training.config import STEP_UNIT, THRESHOLDS, TrainConfig
from saeinit.training.divergence import DivergenceCheck, TrainingDiverged
from saeinit.training.progress import Progress
from saeinit.training.resample import Resampler
from saeinit.training.schedule import Schedule, build_optimizer


@dataclass
class Crossing:
    """When a run first reached an MMCS threshold (or fell to its target FVU)."""

    step: int
    samples: int
    seconds: float
    """Training seconds (the init's time is reported separately)."""
    epochs: float | None = None
    """Passes over a fixed dataset (samples / its size); None for a stream."""


Crossings = dict[str, Crossing | None]


@dataclass
class TrainResult:
    mmcs_initial: float | None
    mmcs_final: float | None
    train_seconds: float
    """Wall-clock seconds of data and optimiser steps, evaluation excluded."""
    eval_seconds: float
    steps: int
    """Optimiser updates, one per batch (see `step_unit`)."""
    samples: int
    stopped: str
    """Why training ended: "target" (MMCS reached --target-mmcs, possibly at the start) or
    "budget" (--max-steps done; with --max-steps 0, the start evaluated and nothing trained)."""
    thresholds: Crossings
    history: list[dict] = field(default_factory=list)
    final: dict = field(default_factory=dict)
    resampled: int = 0
    """Latents re-seeded from the data during training (--resample-every)."""
    fvu_thresholds: Crossings = field(default_factory=dict)
    """When the held-out FVU first fell to --target-fvu (keyed by it; empty when unset)."""
    epochs: float | None = None
    """Passes over a fixed dataset: samples / its size (None for a stream)."""
    step_unit: str = STEP_UNIT
    """What a step is; results saved before it was recorded are read by
    `settings.step_unit`."""
    live_mmcs_initial: float | None = None
    """Live MMCS at the start and at the end (None without ground truth)."""
    live_mmcs_final: float | None = None
    live_thresholds: Crossings = field(default_factory=dict)
    """When live MMCS first reached each threshold (empty without ground truth)."""
    collapsed: str | None = None
    """Why the run's SAE ended collapsed, in one line (`collapse.collapse`); None when not."""

    def to_dict(self) -> dict:
        return asdict(self)


class Evaluator:
    """Measures an SAE against the ground truth (MMCS, live MMCS) and on a held-out sample."""

    def __init__(
        self,
        model: SAE,
        features: torch.Tensor | None,
        eval_x: torch.Tensor,
        c=0.5,
        mcc=False,
        measure: Callable[[SAE], dict] | None = None,
    ):
        self.model, self.features, self.eval_x, self.mcc = model, features, eval_x, mcc
        self.measure = measure
        # Live MMCS's inputs: each feature alone, c * f_i (`metrics.live_max_cosines`).
        self.probes = None if features is None else c * normalize_rows(features.float())

    @torch.no_grad()
    def recovery(self) -> tuple[float | None, float | None]:
        """MMCS and live MMCS (None, None without ground truth), from one cosine matrix."""
        if self.features is None:
            return None, None
        cosines = metrics.cosine_matrix(self.features, self.model.W_dec)
        live = metrics.live_max_cosines(cosines, self.model.encode(self.probes))
        return cosines.amax(dim=1).mean().item(), live.mean().item()

    @torch.no_grad()
    def fvu(self) -> float:
        return metrics.fvu(self.eval_x, self.model(self.eval_x).x_hat)

    @torch.no_grad()
    def row(self, step: int, samples: int, seconds: float, epochs: float | None = None) -> dict:
        out = self.model(self.eval_x)
        row = {
            "step": step,
            "samples": samples,
            "epochs": epochs,
            "seconds": seconds,
            "loss": out.loss.item(),
            "mse": out.mse.item(),
            "fvu": metrics.fvu(self.eval_x, out.x_hat),
            "l0": metrics.l0(out.acts),
            "dead": metrics.dead_latents(out.acts),
        }
        row["dead_fraction"] = row["dead"] / self.model.d_sae
        if not all(map(torch.isfinite, (out.loss, out.mse))):
            raise TrainingDiverged(
                f"loss became {row['loss']} by step {step}: lower --lr or --l1, or check the data"
            )
        if self.features is not None:
            acts = self.model.encode(self.probes)
            row |= metrics.recovery_summary(
                self.features, self.model.W_dec, acts, with_mcc=self.mcc
            )
        if self.measure is not None:
            row |= self.measure(self.model)
        return row


def train(
    model: SAE,
    batches: Iterator[torch.Tensor],
    config: TrainConfig,
    features: torch.Tensor | None = None,
    eval_x: torch.Tensor | None = None,
    dataset_size: int | None = None,
    live_coefficient: float = 0.5,
    measure: Callable[[SAE], dict] | None = None,
) -> TrainResult:
    """Train `model` on `batches`, one optimiser update per batch (a step), and record when
    MMCS and live MMCS cross each threshold. `dataset_size`: the samples of the fixed dataset
    the batches come from, to report epochs (None for a stream). `live_coefficient`: c of the
    live-MMCS inputs c * f_i, in the units the model sees. --max-steps 0 evaluates the start
    only. `measure(model)`: further metrics of each history row (a synthetic world's)."""
    optimizer = build_optimizer(model, config)
    schedule = Schedule(config)
    auxk = AuxK(model, config.auxk_coefficient, config.auxk_dead_samples) if config.auxk else None
    eval_x = eval_x if eval_x is not None else next(batches)
    evaluator = Evaluator(model, features, eval_x, live_coefficient, config.mcc, measure)
    epochs = (lambda samples: samples / dataset_size) if dataset_size else (lambda samples: None)
    eval_start = time.perf_counter()
    history = [evaluator.row(0, 0, 0.0, epochs(0))]
    divergence = DivergenceCheck(history[0], evaluator.eval_x, config.lr)
    eval_seconds = time.perf_counter() - eval_start
    mmcs_now, live_now = history[0].get("mmcs"), history[0].get("live_mmcs")
    crossings: Crossings = {f"{t:.2f}": None for t in THRESHOLDS}
    live_crossings: Crossings = {} if features is None else dict.fromkeys(crossings)
    start = Crossing(0, 0, 0.0, epochs(0))
    _record_crossings(crossings, mmcs_now, start)
    _record_crossings(live_crossings, live_now, start)
    fvu_crossings: Crossings = {}
    if config.target_fvu is not None:
        fvu_crossings[f"{config.target_fvu:g}"] = None
        _record_fvu(fvu_crossings, config.target_fvu, history[0]["fvu"], start)

    step = samples = resampled = 0
    train_seconds = 0.0
    resampler = Resampler(model, config) if config.resample_every else None
    reached = config.reached(mmcs_now)
    progress = Progress(config.max_steps, config.progress and config.max_steps > 0)
    while step < config.max_steps and not reached:
        start = time.perf_counter()
        batch = next(batches)
        model.normalize_decoder()
        schedule.set_lr(optimizer, step)
        out, loss = _update(model, optimizer, batch, schedule.sparsity_factor(step), auxk)
        divergence.add(batch, out.mse)
        step += 1
        samples += len(batch)
        if resampler is not None:
            resampler.observe(batch, out)
            resampled += resampler.after_step(step, model, optimizer)
        last = step == config.max_steps
        if step % config.eval_every and not last:
            train_seconds += time.perf_counter() - start
            continue
        train_seconds += elapsed(start, loss)  # a GPU's queued steps count as training
        eval_start = time.perf_counter()
        if not torch.isfinite(loss):
            raise TrainingDiverged(
                f"loss became {loss.item()} by step {step}: lower --lr or --l1, or check the data"
            )
        divergence.check_training(step)
        mmcs_now, live_now = evaluator.recovery()
        now = Crossing(step, samples, train_seconds, epochs(samples))
        _record_crossings(crossings, mmcs_now, now)
        _record_crossings(live_crossings, live_now, now)
        if config.target_fvu is not None:
            fvu_now = evaluator.fvu()
            _record_fvu(fvu_crossings, config.target_fvu, fvu_now, now)
        reached = config.reached(mmcs_now)
        if step % config.log_every == 0 or last or reached:
            history.append(evaluator.row(step, samples, train_seconds, epochs(samples)))
            divergence.check_held_out(history[-1]["mse"], step)
        eval_seconds += time.perf_counter() - eval_start
        if mmcs_now is not None or config.target_fvu is None:
            shown = f"{mmcs_now:.4f}" if mmcs_now is not None else "-"
            progress.update(step, mmcs=shown, loss=f"{loss:.4g}")
        else:
            progress.update(step, fvu=f"{fvu_now:.4f}", loss=f"{loss:.4g}")
    progress.close()
    model.normalize_decoder()
    return TrainResult(
        mmcs_initial=history[0].get("mmcs"),
        mmcs_final=history[-1].get("mmcs"),
        train_seconds=train_seconds,
        eval_seconds=eval_seconds,
        steps=step,
        samples=samples,
        stopped="target" if reached else "budget",
        thresholds=crossings,
        history=history,
        final=history[-1],
        fvu_thresholds=fvu_crossings,
        resampled=resampled,
        epochs=epochs(samples),
        live_mmcs_initial=history[0].get("live_mmcs"),
        live_mmcs_final=history[-1].get("live_mmcs"),
        live_thresholds=live_crossings,
        collapsed=collapse(history[0], history[-1], step, model.d_sae),
    )


def _update(
    model: SAE, optimizer: torch.optim.Adam, batch: torch.Tensor, scale: float, auxk: AuxK | None
) -> tuple[ForwardOutput, torch.Tensor]:
    """One optimiser update on `batch`, the sparsity coefficient times `scale`, the AuxK term
    added when on; returns the forward pass and the loss minimised."""
    out = model(batch, sparsity_scale=scale)
    loss = out.loss
    if auxk is not None:
        extra = auxk.loss(model, batch, out)
        loss = loss if extra is None else loss + extra
        auxk.update(out.acts.detach())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return out, loss


def _record_crossings(crossings: Crossings, mmcs: float | None, now: Crossing) -> None:
    if mmcs is None:
        return
    for threshold in THRESHOLDS:
        key = f"{threshold:.2f}"
        if crossings[key] is None and mmcs >= threshold:
            crossings[key] = now


def _record_fvu(crossings: Crossings, target: float, fvu: float, now: Crossing) -> None:
    key = f"{target:g}"
    if crossings[key] is None and fvu <= target:
        crossings[key] = now
