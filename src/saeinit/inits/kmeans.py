"""Lloyd's k-means in torch, on the device of its sample (--centroid-backend torch).

The seeds are k-means++'s: the first a random sample, each next one a sample drawn with
probability proportional to its squared distance to the nearest seed so far. Then each sample
goes to its nearest centre and each centre moves to the mean of its members, until no sample
changes cluster or KMEANS_ITERATIONS have passed. The random numbers come from the init's CPU
generator, all drawn before the seeding, so that the seeding never waits for the device. The
distances are computed a
chunk of samples at a time (`chunks.py`), and the means by summing sorted rows (embedding_bag),
which gives the same numbers on every run, where atomic additions on a GPU would not.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from saeinit.inits.chunks import row_chunks

KMEANS_ITERATIONS = 20
"""The most assignment-and-update rounds after the seeding."""


def torch_kmeans(
    sample: torch.Tensor, count: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` clusters of `sample` [N, d] (N >= count): each sample's cluster [N] and the
    centres [count, d], on the sample's device."""
    centers = kmeans_plus_plus(sample, count, generator)
    labels = nearest(sample, centers)
    for _ in range(KMEANS_ITERATIONS):
        centers = cluster_means(sample, labels, centers)
        moved = nearest(sample, centers)
        if torch.equal(moved, labels):
            break
        labels = moved
    return labels, centers


def kmeans_plus_plus(sample: torch.Tensor, count: int, generator: torch.Generator) -> torch.Tensor:
    """k-means++ seeds [count, d] (the module docstring says how they are drawn)."""
    uniforms = torch.rand(count, generator=generator, dtype=torch.float64).to(sample.device)
    squared_norms = sample.double().pow(2).sum(dim=1)
    picks = torch.empty(count, dtype=torch.long, device=sample.device)
    picks[0] = (uniforms[0] * len(sample)).long()
    nearest_squared = torch.full_like(squared_norms, torch.inf)
    for index in range(1, count):
        seed = sample.index_select(0, picks[index - 1 : index]).squeeze(0)
        distance = squared_norms - 2 * (sample @ seed).double() + seed.double().pow(2).sum()
        nearest_squared = torch.minimum(nearest_squared, distance.clamp_min(0))
        cumulative = nearest_squared.cumsum(0)
        target = uniforms[index] * cumulative[-1]
        picks[index] = torch.searchsorted(cumulative, target.unsqueeze(0), right=True)
    return sample[picks.clamp_max(len(sample) - 1)]


def nearest(sample: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """The index of each sample's nearest centre [N], a chunk of samples at a time."""
    half_norms = centers.pow(2).sum(dim=1) / 2
    chunks = row_chunks(sample, len(centers))
    return torch.cat([(chunk @ centers.T - half_norms).argmax(dim=1) for chunk in chunks])


def cluster_means(
    sample: torch.Tensor, labels: torch.Tensor, centers: torch.Tensor
) -> torch.Tensor:
    """Each cluster's mean [count, d]; a cluster left without members keeps its centre."""
    order = torch.argsort(labels, stable=True)
    clusters = torch.arange(len(centers), device=labels.device)
    offsets = torch.searchsorted(labels[order], clusters)
    means = F.embedding_bag(order, sample, offsets, mode="mean")
    ends = torch.cat([offsets[1:], offsets.new_full((1,), len(labels))])
    return torch.where((ends == offsets).unsqueeze(1), centers, means)
