"""Which latents of sparsify's informed arm stop firing, when, and why (issue 27).

    python benchmarks/wide_sae_dying.py [wide_sae.py's options] --out runs/wide/dying

Runs `wide_sae.py`'s sparsify tasks of saeinit's start (its options, its cached starts in
--out) with a hook that counts, at every training step, the tokens each latent fired on.
A latent is dying when it fires in no step of the last quarter (sparsify's own counter, as
the benchmark's "unfired in the last quarter"). For the start's weights it then prints, over
the init's sample (drawn as the start drew it), how often a latent's firing helps: firing
latent i with code z on a token helps when the reconstruction error is smaller with it than
without it, d_i . e > -z / 2 (e the token's error with every picked latent, d_i its atom).
The dying latents' share against the rest says whether their atoms are wrong where their
encoders pick them (a training-side fix cannot help) or merely rare; their row coherence
(the mean cosine between the tokens a latent fires on) whether they crowd onto one kind of
near-identical token that other latents cover too.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))


def counted_fit(fires: list):
    """sparsify's Trainer.fit with a forward hook appending each training step's firing
    counts per latent to `fires` (evaluations run without gradients and are left out)."""
    from other_trainers_sparsify import HOOK
    from sparsify import Trainer

    fit = Trainer.fit

    def counting(trainer):
        coder = trainer.saes[HOOK]

        def hook(module, inputs, output):
            if torch.is_grad_enabled():
                counts = torch.bincount(
                    output.latent_indices.flatten(), minlength=coder.num_latents
                )
                fires.append(counts)

        handle = coder.register_forward_hook(hook)
        try:
            fit(trainer)
        finally:
            handle.remove()

    return counting


def last_fired(fires: torch.Tensor) -> torch.Tensor:
    """The last step [n_latents] each latent fired in (-1: never), from counts [steps, n]."""
    fired = fires > 0
    steps = len(fires)
    latest = steps - 1 - fired.flip(0).int().argmax(0)
    return torch.where(fired.any(0), latest, torch.full_like(latest, -1))


def helpful_share(weights, sample: torch.Tensor, k: int) -> torch.Tensor:
    """Per latent, the share of its per-token top-k firings on `sample` that lower the
    token's squared error (d_i . e > -z / 2); NaN for a latent that never fires."""
    from saeinit.interop.topk import topk_code_matrix

    codes = topk_code_matrix(weights, sample, k)
    error = sample - codes @ weights.W_dec - weights.b_dec
    fires = codes > 0
    helps = fires & (error @ weights.W_dec.T > -codes / 2)
    return helps.sum(0) / fires.sum(0).where(fires.any(0), torch.tensor(float("nan")))


def row_coherence(weights, sample: torch.Tensor, k: int) -> torch.Tensor:
    """Per latent, the mean cosine between distinct rows of `sample` (less b_dec) it fires on
    under the per-token top k: near 1 for a latent that fires only on near-identical tokens,
    near 0 for one spread over unrelated tokens; NaN below two rows. From the sum S of the
    n unit rows: (|S|^2 - n) / (n (n - 1))."""
    from saeinit.interop.topk import topk_code_matrix

    fires = (topk_code_matrix(weights, sample, k) > 0).float()
    units = torch.nn.functional.normalize(sample - weights.b_dec, dim=1)
    n = fires.sum(0)
    pairs = (fires.T @ units).pow(2).sum(1) - n
    return pairs / (n * (n - 1)).where(n > 1, torch.tensor(float("nan")))


def summary(share: torch.Tensor, coherence: torch.Tensor, last: torch.Tensor, steps: int) -> dict:
    dying = last < steps - steps // 4
    quantiles = torch.tensor([0.1, 0.5, 0.9])

    def spread(values):
        values = values[~values.isnan()]
        return [round(v, 3) for v in values.quantile(quantiles).tolist()] if len(values) else []

    return {
        "dying": int(dying.sum()),
        "last_step_of_dying": sorted(last[dying].tolist()),
        "helpful_share_dying_q10_q50_q90": spread(share[dying]),
        "helpful_share_others_q10_q50_q90": spread(share[~dying]),
        "row_coherence_dying_q10_q50_q90": spread(coherence[dying]),
        "row_coherence_others_q10_q50_q90": spread(coherence[~dying]),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    import wide_sae
    from wide_sae_start import informed_weights

    from saeinit.data.activations import ActivationsConfig, activation_source
    from saeinit.models.preprocess import norm_scaling_factor

    args = wide_sae.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TQDM_DISABLE", "1")
    from sparsify import Trainer

    reports = []
    for task in wide_sae.tasks(args):
        if (task.trainer, task.start) != ("sparsify", "saeinit"):
            continue
        fires: list = []
        original, Trainer.fit = Trainer.fit, counted_fit(fires)
        try:
            result = wide_sae.run_task(task, args.out)
        finally:
            Trainer.fit = original
        config = ActivationsConfig(activations=task.activations, buffer_size=task.buffer_size)
        source = activation_source(config, task.batch, task.seed, task.eval_samples)
        factor = norm_scaling_factor(source.stats(task.stats_samples).float())
        start = informed_weights(task, source, factor, args.out)  # cached: the run's start
        sample = source.draw(task.init_rows).float() * factor
        share = helpful_share(start["weights"], sample, task.k)
        coherence = row_coherence(start["weights"], sample, task.k)
        report = {"task": task.name(), "final_fvu": result["final"]["fvu"]}
        report |= summary(share, coherence, last_fired(torch.stack(fires)), task.steps)
        print(json.dumps(report), flush=True)
        reports.append(report)
    return reports


if __name__ == "__main__":
    main()
