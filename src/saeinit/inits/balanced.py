"""The balanced encoder init: the fitted read-out with every latent brought to one scale.

Under a global top-k (TopK, BatchTopK) latents compete across the whole dictionary. The fitted
read-out (`encoder.py`) shrinks the column of a latent whose atom few samples' codes use, and
such a latent then never ranks among the kept ones: it is dead from the start, its atom never
trained, until an AuxK loss reaches it much later. Here each latent's column and bias are
scaled so that its upper pre-activations on the sample (the BALANCE_QUANTILE quantile) equal
the median of those over the latents; a latent never positive on the sample has its bias
raised to the same height instead. Which samples a latent ranks highest is unchanged.
"""

from __future__ import annotations

import torch

from saeinit.inits.encoder import fitted

BALANCE_QUANTILE = 0.99
"""The quantile of a latent's pre-activations brought to the common height: its top 1%, where
a latent of a feature active in 1% of samples or more fires."""
CHUNK_ENTRIES = 1 << 24
"""Pre-activations computed at a time (samples x a slice of latents)."""


def balanced(
    atoms: torch.Tensor, sample: torch.Tensor, config
) -> tuple[torch.Tensor, torch.Tensor]:
    """--encoder-init balanced: the fitted encoder, balanced."""
    return balance(*fitted(atoms, sample, config), sample)


def balance(
    W_enc: torch.Tensor, b_enc: torch.Tensor, sample: torch.Tensor, quantile=BALANCE_QUANTILE
) -> tuple[torch.Tensor, torch.Tensor]:
    """W_enc [d, n] and b_enc [n] scaled per latent so that every latent's `quantile` of its
    pre-activations on `sample` is the median of those quantiles; a latent whose quantile is
    not positive keeps its column and has its bias raised to reach that median."""
    tops = upper_quantiles(W_enc, b_enc, sample, quantile)
    positive = tops > 0
    if not positive.any():
        return W_enc, b_enc
    height = tops[positive].median()
    scale = torch.where(positive, height / tops.clamp_min(1e-30), torch.ones_like(tops))
    lift = torch.where(positive, torch.zeros_like(tops), height - tops)
    return W_enc * scale, b_enc * scale + lift


def upper_quantiles(W_enc, b_enc, sample, quantile: float) -> torch.Tensor:
    """Each latent's `quantile` of its pre-activations over the sample, a slice of latents at
    a time."""
    rank = min(len(sample), max(1, round(quantile * len(sample))))
    width = max(1, CHUNK_ENTRIES // len(sample))
    parts = []
    for start in range(0, W_enc.shape[1], width):
        pre = sample @ W_enc[:, start : start + width] + b_enc[start : start + width]
        parts.append(pre.kthvalue(rank, dim=0).values)
    return torch.cat(parts)
