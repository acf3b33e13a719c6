"""Adapters of initial weights to a per-token TopK SAE (sparsify's SparseCoder; SAELens'
BatchTopK and Matryoshka take them as an approximation of their batch's top k).

An informed dictionary and its encoder are fitted to codes a TopK SAE does not compute, and
such a trainer passes no gradient to a latent's encoder while the top k does not pick it:
`topk_start` gives the latents the top k would never pick a share of it, `topk_atoms` refits
every atom to the codes the top k gives, and `topk_gain` scales the encoder to them.
"""

from __future__ import annotations

import torch

from saeinit.config import ConfigError, require_positive
from saeinit.interop.weights import (
    InitialWeights,
    check_rows,
    check_weights,
    pre_activations,
)
from saeinit.tensors import normalize_rows

LIFT_MARGIN = 1e-4
"""`topk_start` lifts a latent this fraction of the rows' mean k-th pre-activation past the
k-th value it has to beat, so that it wins rather than ties."""


def topk_start(
    weights: InitialWeights, sample: torch.Tensor, k: int, min_rows: int
) -> InitialWeights:
    """The same SAE with the encoder bias of every latent that is among the k largest
    positive pre-activations of fewer than `min_rows` rows of `sample` [n, d_in] raised just
    enough to pass, in `min_rows` rows, the k-th value those rows had before any lift (k: a
    per-token TopK SAE's, as sparsify's). An informed dictionary holds atoms its sample barely
    uses; under a per-token top-k with no auxiliary loss such a latent never fires, so its
    atom never trains."""
    check_weights(weights)
    check_rows(weights, sample)
    check_k(weights, k)
    if not 1 <= min_rows <= len(sample):
        raise ConfigError("min_rows", f"is {min_rows}; the sample has {len(sample)} rows")
    pre_acts = pre_activations(weights, sample)
    top = pre_acts.topk(k, dim=1)
    kth = top.values[:, -1:].clamp_min(0)
    uses = torch.bincount(top.indices[top.values > 0], minlength=weights.d_sae)
    starved = (uses < min_rows).nonzero().squeeze(1)
    gaps = kth - pre_acts[:, starved]  # how far each row's k-th value is above the latent
    # each starved latent's min_rows-th smallest gap (topk along rows: faster than kthvalue)
    lift = gaps.topk(min_rows, dim=0, largest=False).values[-1].clamp_min(0)
    margin = LIFT_MARGIN * kth.mean().clamp_min(torch.finfo(kth.dtype).tiny)
    b_enc = weights.b_enc.clone()
    b_enc[starved] += lift + margin
    return weights._replace(b_enc=b_enc)


def topk_gain(weights: InitialWeights, sample: torch.Tensor, k: int) -> InitialWeights:
    """The same SAE with its encoder (W_enc and b_enc) multiplied by the one gain that brings
    the per-row top-k reconstruction of `sample` [n, d_in] closest to it in least squares (k:
    a per-token TopK SAE's, as sparsify's). A least-squares read-out such as the fitted
    encoder shrinks its codes, which a TopK SAE, with no sparsity penalty, trains back up;
    a positive gain scales every pre-activation alike, so each row keeps its top k."""
    check_weights(weights)
    check_rows(weights, sample)
    check_k(weights, k)
    reconstruction = topk_code_matrix(weights, sample, k) @ weights.W_dec
    energy = reconstruction.pow(2).sum()
    if energy == 0:
        raise ConfigError("sample", "fires no latent of the weights; no gain can be fitted")
    gain = ((sample.float() - weights.b_dec) * reconstruction).sum() / energy
    if gain <= 0:
        raise ConfigError("sample", f"gives a gain of {gain:.3g}; the weights do not fit it")
    return weights._replace(W_enc=weights.W_enc * gain, b_enc=weights.b_enc * gain)


def topk_codes(
    weights: InitialWeights, sample: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """A per-token TopK SAE's codes of `sample` [n, d_in]: each row's k largest
    pre-activations, their latents [n, k] and values [n, k], negative values zeroed."""
    top = pre_activations(weights, sample).topk(k, dim=1)
    return top.indices, top.values.clamp_min(0)


def topk_code_matrix(weights: InitialWeights, sample: torch.Tensor, k: int) -> torch.Tensor:
    """`topk_codes` as a dense matrix [n, d_sae], zero where the top k does not pick."""
    latents, values = topk_codes(weights, sample, k)
    codes = torch.zeros(len(sample), weights.d_sae, device=values.device)
    return codes.scatter_(1, latents, values)


def check_k(weights: InitialWeights, k: int) -> None:
    """Refuse a per-token top-k that is not positive or exceeds the weights' latents
    (ConfigError naming `k`)."""
    require_positive("k", k)
    if k > weights.d_sae:
        raise ConfigError("k", f"is {k}; the weights have {weights.d_sae} latents")


def topk_atoms(weights: InitialWeights, sample: torch.Tensor, k: int) -> InitialWeights:
    """The same SAE with every atom the per-row top k picks on `sample` [n, d_in] replaced
    by the unit-norm least-squares atom of the codes it gives there (MOD's dictionary update,
    `optimal_directions`, on the TopK SAE's own codes); atoms it never picks are kept. An
    atom fitted to another coder's codes (matching pursuit's, for `mod`) misses the tokens
    the encoder picks it on: firing it there raises the error, training then lowers its
    encoder until the top k drops it, and a TopK trainer never brings it back."""
    from saeinit.inits.dictlearn import optimal_directions
    from saeinit.inits.pursuit import SparseCodes

    check_weights(weights)
    check_rows(weights, sample)
    check_k(weights, k)
    centred = sample.float() - weights.b_dec
    latents, coef = topk_codes(weights, sample, k)
    codes = SparseCodes(latents, coef, torch.empty(0))
    fitted = optimal_directions(codes, centred, weights.W_dec, thresholded=True)
    picked = torch.zeros(weights.d_sae, dtype=torch.bool, device=weights.W_dec.device)
    picked[latents[coef > 0]] = True
    picked &= fitted.norm(dim=1) > 0
    W_dec = weights.W_dec.clone()
    W_dec[picked] = normalize_rows(fitted[picked])
    return weights._replace(W_dec=W_dec)
