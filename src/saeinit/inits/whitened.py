"""The whitened encoder init: each latent reads its own atom at full scale, through the data's
inverse second moment, with a bias that keeps it quiet on the other features' interference.

The fitted encoder (`encoder.py`) regresses each latent's code on the data, and a linear
regression shrinks a rare feature's read-out in proportion to its frequency: most of the time
its direction holds only the other features' interference, so its latent starts almost deaf
to it. Under the L1 penalty its bias then turns negative before its encoder grows, and it stops
firing on its feature until the feature's rare occurrences regrow it (the mid-run dip of
docs/retention.md). Here every latent j starts with

    W_enc[:, j] = M^-1 d_j / (d_j^T M^-1 d_j),  b_enc[j] = -(median_j + sigmas * spread_j)

where M = E[x x^T] over the sample, d_j the atom, and median_j, spread_j the median and the
robust standard deviation of the latent's pre-activation x . W_enc[:, j] over the sample: the
atom alone, x = c d_j, reads c whatever the feature's frequency, the direction M^-1 d_j
discounts the directions the data fills with other features, and a latent fires only where its
read-out stands `sigmas` deviations above its usual level (robust statistics, so that a
frequent feature's own occurrences do not raise its latent's threshold). It needs the sample's
d x d second moment and the pre-activations of a capped part of it: no matching pursuit.
"""

from __future__ import annotations

import numpy as np
import torch

from saeinit.config import ConfigError
from saeinit.inits.chunks import row_chunks
from saeinit.inits.pursuit import unsolvable

OPTION = "encoder-init"
"""The option errors of the init name."""
LEVEL_ROWS = 16384
"""Rows of the sample each latent's median and spread are estimated on."""
MAD_TO_STD = 1.4826
"""The median absolute deviation times this estimates a Gaussian's standard deviation."""
RIDGE = 1e-6
"""Ridge on the second moment, relative to its mean diagonal (keeps the solve defined when the
data spans fewer than d directions)."""


def whitened_encoder(
    atoms: torch.Tensor, sample: torch.Tensor, sigmas: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """W_enc [d, n] and b_enc [n] on the sample's device for `atoms` [n, d], from `sample`
    [N, d]: each column reads its atom at scale 1 through the sample's inverse second moment,
    each bias minus the median of its pre-activation less `sigmas` robust deviations."""
    second = _second_moment(sample)
    try:
        factor = torch.linalg.cholesky(second)
    except torch.linalg.LinAlgError as err:
        raise unsolvable(OPTION, "the whitened encoder's second moment", sample) from err
    chunks = row_chunks(atoms.to(sample.device), sample.shape[1])
    read = torch.cat([_unit_reads(chunk, factor) for chunk in chunks], dim=1)
    if not torch.isfinite(read).all():
        raise unsolvable(OPTION, "the whitened encoder's read-out", sample)
    median, spread = _levels(sample, read)
    return read.contiguous(), (-(median + sigmas * spread)).float().contiguous()


def _second_moment(sample: torch.Tensor) -> torch.Tensor:
    """M = E[x x^T] over the sample [d, d], in float64, with RIDGE; a zero sample refused."""
    dim = sample.shape[1]
    second = torch.zeros(dim, dim, dtype=torch.float64, device=sample.device)
    for rows in row_chunks(sample, dim):
        second += (rows.T @ rows).double()
    second /= len(sample)
    if not second.diagonal().any():
        raise ConfigError(
            OPTION,
            f"the whitened encoder reads the data through its second moment, and the "
            f"{len(sample)} samples drawn for it are all zero; choose another --{OPTION}",
        )
    second.diagonal().add_(RIDGE * second.diagonal().mean())
    return second


def _unit_reads(atoms: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """M^-1 d_j / (d_j^T M^-1 d_j) for a chunk of atoms [c, d] (`factor`: M's Cholesky
    factor), solved in float64 and returned as float32 columns [d, c]: the whole read-out
    is never held in float64."""
    atoms = atoms.double()
    read = torch.cholesky_solve(atoms.T, factor)
    return (read / (atoms.T * read).sum(0)).float()


def whitened(
    atoms: torch.Tensor, sample: torch.Tensor, config
) -> tuple[torch.Tensor, torch.Tensor]:
    """--encoder-init whitened: `whitened_encoder` with the InitConfig's --encoder-sigmas."""
    return whitened_encoder(atoms, sample, config.encoder_sigmas)


def _levels(sample: torch.Tensor, read: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Median and robust standard deviation (1.4826 x the median absolute deviation) of each
    column of sample @ read over the first LEVEL_ROWS rows, a chunk of columns at a time:
    robust, so that the latent's own occurrences do not raise its threshold."""
    rows = sample[:LEVEL_ROWS]
    medians, spreads = [], []
    for columns in row_chunks(read.T.to(sample.dtype), len(rows)):
        pre = columns @ rows.T  # a latent's pre-activations in a row
        median = row_medians(pre)
        medians.append(median)
        spreads.append(MAD_TO_STD * row_medians(pre.sub_(median[:, None]).abs_()))
    return torch.cat(medians), torch.cat(spreads)


def row_medians(values: torch.Tensor) -> torch.Tensor:
    """Each row's lower median, as torch.median gives it. On the CPU by numpy's partition (a
    selection per row, faster there than torch's median: docs/init-scale.md), elsewhere by
    torch."""
    if values.device.type != "cpu":
        return values.median(dim=1).values
    middle = (values.shape[1] - 1) // 2
    selected = np.partition(values.contiguous().numpy(), middle, axis=1)[:, middle]
    return torch.from_numpy(np.ascontiguousarray(selected))
