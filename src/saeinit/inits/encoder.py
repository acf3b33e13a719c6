"""The fitted encoder init: the encoder that predicts the sparse codes of an init sample.

A dictionary close to the features is not enough when the encoder starts at nn.Linear's random
init: its latents fire at random, and their first gradients pull good atoms away (a `mod`
dictionary loses MMCS in its first steps: docs/informed-init.md). Tying W_enc = W_dec^T ignores
that atoms in superposition overlap. Here each latent's encoder column and bias are the
least-squares regression of its matching-pursuit code on the data,
W_enc, b_enc = argmin ||X W_enc + b_enc - C||^2 over a fresh init sample X with codes C over the
init's dictionary: the linear read-out that best separates overlapping atoms. It runs on the
sample's device; the codes stay index/value pairs (X^T C gathers rows), so its memory is that
of the sample, the (d + 1) x (d + 1) normal equations and the n x (d + 1) solution.
"""

from __future__ import annotations

import torch

from saeinit.inits.pursuit import CodeMatrix, check_omp_k, matching_pursuit, unsolvable

FIT_SAMPLES = 16384
"""Samples the encoder is fitted on, unless --init-samples asks for more (`fit_samples`)."""
OPTION = "encoder-init"
"""The option errors of the fit name."""
RIDGE = 1e-6
"""Ridge on the normal equations, relative to their mean diagonal (keeps the solve defined
when the data spans fewer than d directions)."""


def fit_samples(init_samples: int | None, encoder_samples: int | None = None) -> int:
    """How many samples the encoder is fitted on: --encoder-samples, else FIT_SAMPLES or
    --init-samples when larger. A latent's column is regressed on the samples whose codes use
    it, so a feature rare enough to need a large init sample for its atom needs enough samples
    for a read-out that fires on it: fitted on too few, its column is fitted to codes that are
    almost all zero."""
    return encoder_samples or max(FIT_SAMPLES, init_samples or 0)


def fitted_encoder(
    atoms: torch.Tensor, sample: torch.Tensor, k: int, candidates: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """W_enc [d, n] and b_enc [n] on the sample's device, regressing the k-atom
    matching-pursuit codes of `sample` over `atoms` [n, d] (picked among `candidates` per
    sample: --omp-candidates) on the sample."""
    check_omp_k(k, len(atoms))
    atoms = atoms.to(sample.device)
    codes = matching_pursuit(sample, atoms, k, candidates, option=OPTION)
    inputs = torch.cat([sample, torch.ones(len(sample), 1, device=sample.device)], dim=1)
    gram = inputs.T @ inputs
    gram.diagonal().add_(RIDGE * gram.diagonal().mean())
    target = CodeMatrix(codes, len(atoms)).transposed_times(inputs).T  # X^T C, [d + 1, n]
    try:
        solution = torch.cholesky_solve(target, torch.linalg.cholesky(gram))
    except torch.linalg.LinAlgError as err:
        raise unsolvable(OPTION, "the fitted encoder's regression", sample) from err
    if not torch.isfinite(solution).all():
        raise unsolvable(OPTION, "the fitted encoder's regression", sample)
    return solution[:-1].contiguous(), solution[-1].contiguous()


def fitted(atoms: torch.Tensor, sample: torch.Tensor, config) -> tuple[torch.Tensor, torch.Tensor]:
    """--encoder-init fitted: `fitted_encoder` with the InitConfig's --omp-k and
    --omp-candidates."""
    return fitted_encoder(atoms, sample, config.omp_k, config.omp_candidates)


def check_fitted(config, n_atoms: int) -> None:
    """Refuse an --omp-k the dictionary cannot hold, before the dictionary init runs."""
    check_omp_k(config.omp_k, n_atoms)
