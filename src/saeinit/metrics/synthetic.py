"""SynthSAEBench's metrics of an SAE, computed by SAELens' `eval_sae_on_synthetic_data` on a
fixed held-out sample of a synthetic world (the same for every run on that world).

SAELens' function draws its samples from a generator and reads an SAELens SAE; here it gets a
generator that replays the held-out sample's feature activations in order, and a view of any
saeinit SAE with the input scaling the SAE was trained under.
"""

from __future__ import annotations

import torch

METRICS = (
    "mcc", "f1", "precision", "recall", "uniqueness", "explained_variance", "shrinkage", "l0",
    "dead",
)  # fmt: skip
"""The names history rows give SAELens' metrics (its sae_l0 and dead_latents are l0 and dead,
which they replace: the same held-out sample, counted the same way)."""
EVAL_BATCH = 4096


class Replay:
    """A stand-in for SAELens' ActivationGenerator that hands out stored feature activations
    (a sparse [n, G] tensor) in order, dense, batch by batch."""

    def __init__(self, codes: torch.Tensor):
        self.codes, self.position = codes.coalesce(), 0

    def sample(self, n: int) -> torch.Tensor:
        stop = self.position + n
        chunk = self.codes.index_select(0, torch.arange(self.position, stop)).to_dense()
        self.position = stop
        return chunk


class SAEView:
    """What SAELens' evaluation reads of an SAE (eval, encode, decode, W_dec), from a saeinit
    SAE trained on inputs multiplied by `scale`: inputs are scaled on the way in and the
    reconstruction unscaled on the way out."""

    def __init__(self, model, scale: float):
        self.model, self.scale = model, scale
        self.W_dec = model.W_dec.detach()

    def eval(self):
        return self

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.encode(x * self.scale)

    def decode(self, acts: torch.Tensor) -> torch.Tensor:
        return self.model.decode(acts) / self.scale


def synthetic_metrics(model, feature_dict, x: torch.Tensor, codes: torch.Tensor, scale=1.0):
    """SAELens' SynthSAEBench metrics of `model` on the held-out samples `x` [n, d] whose
    feature activations are `codes` (sparse [n, G]), as a flat dict named as in `METRICS`."""
    from sae_lens.synthetic import eval_sae_on_synthetic_data

    was_training = model.training
    model.eval()
    device = model.W_dec.device
    try:
        result = eval_sae_on_synthetic_data(
            SAEView(model, scale),
            feature_dict.to(device),
            Replay(codes),
            num_samples=len(x),
            batch_size=EVAL_BATCH,
        )
    finally:
        model.train(was_training)
    classes = result.classification
    return {
        "mcc": result.mcc,
        "f1": classes.f1_score,
        "precision": classes.precision,
        "recall": classes.recall,
        "uniqueness": result.uniqueness,
        "explained_variance": result.explained_variance,
        "shrinkage": result.shrinkage,
        "l0": result.sae_l0,
        "dead": result.dead_latents,
    }
