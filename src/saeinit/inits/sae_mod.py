"""`sae-mod`: MOD whose sparse codes are a tied BatchTopK SAE's.

Each round codes the init sample the way a BatchTopK SAE with W_enc = W_dec^T and no biases
encodes a batch: the sample's N x --sae-mod-k largest projections on the atoms, wherever they
fall (a sample holding many features keeps more atoms, one holding few keeps fewer), then
solves for the least-squares dictionary of those codes and re-seeds unused or duplicate atoms
with the worst-explained samples' residuals, as `mod` does (dictlearn.py).

Matching pursuit (`mod`) picks for each sample the atoms that reconstruct it best, and its
dictionary drifts to atoms mixing a parent feature with its children; fixed k atoms per sample
(a TopK SAE's codes) merge features in samples holding more than k and code noise in those
holding fewer. The SAE trained from the dictionary codes by projection against one threshold,
so the dictionary is fitted to the codes it will compute, and a round costs one product of the
sample with the dictionary instead of matching pursuit's k least-squares steps.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from saeinit.inits.chunks import row_chunks
from saeinit.inits.dictlearn import refined
from saeinit.inits.pursuit import SparseCodes, check_omp_k
from saeinit.inits.request import InitRequest, InitWeights

ROW_CAP = 3
"""A sample's code holds at most this many times --sae-mod-k atoms."""


def batchtopk_codes(x: torch.Tensor, atoms: torch.Tensor, k: int) -> SparseCodes:
    """A tied BatchTopK SAE's codes of the rows of x [N, d]: the N * k largest positive
    projections on `atoms` [n, d] over the whole sample (each row's at most ROW_CAP * k), and
    what they leave unexplained."""
    width = min(ROW_CAP * k, len(atoms))
    top = [(chunk @ atoms.T).topk(width, dim=1) for chunk in row_chunks(x, len(atoms))]
    coef = torch.cat([values for values, _ in top])
    support = torch.cat([indices for _, indices in top])
    flat = coef.reshape(-1)
    kept = len(x) * k
    threshold = flat.kthvalue(len(flat) - kept).values.clamp_min(0) if len(flat) > kept else 0
    coef = torch.where(coef > threshold, coef, torch.zeros((), device=coef.device))
    reconstruction = F.embedding_bag(support, atoms, per_sample_weights=coef, mode="sum")
    return SparseCodes(support, coef, x - reconstruction)


def sae_mod(request: InitRequest) -> InitWeights:
    config = request.config
    k = config.sae_mod_k
    check_omp_k(k, request.n_atoms, "sae-mod-k")

    def coder(x: torch.Tensor, atoms: torch.Tensor) -> SparseCodes:
        return batchtopk_codes(x, atoms, k)

    return refined(request, coder, config.sae_mod_iters, "the sae-mod init", thresholded=True)
