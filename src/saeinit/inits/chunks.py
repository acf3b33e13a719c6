"""Row chunks that bound the memory of the inits' samples x atoms products.

Matching pursuit's correlations, the duplicate-atom search and k-means' distances are each a
matrix with a row per sample (or atom) and a column per atom (or centre). None is built whole:
each is computed a chunk of rows at a time, so an init's memory grows with the sample and the
dictionary, never with their product.
"""

from __future__ import annotations

import math

import torch

CHUNK_ENTRIES = 2**23
"""Entries of the largest rows x width matrix an init holds at once on a CPU (32 MiB in
float32: small enough for a CPU to reduce a chunk while it is in its cache)."""
DEVICE_CHUNK_ENTRIES = 2**27
"""The same on a GPU (512 MiB in float32): it has no such cache to fit, and each chunk costs
a few dozen kernel launches, which small chunks would multiply."""
MIN_ROWS = 256
"""The fewest rows a chunk is limited to (a wider matrix than CHUNK_ENTRIES / MIN_ROWS may
exceed CHUNK_ENTRIES): products of a few rows run other kernels, which are slower and round
differently, so chunks of at least half this many rows give every row the same numbers
whatever the chunk size."""


def row_chunks(x: torch.Tensor, width: int) -> tuple[torch.Tensor, ...]:
    """`x` split into nearly equal chunks of consecutive rows, each of at most
    max(MIN_ROWS, entries / width) rows, so that a chunk's product with `width` columns holds at
    most `entries` (past MIN_ROWS rows): CHUNK_ENTRIES on a CPU, DEVICE_CHUNK_ENTRIES
    elsewhere."""
    entries = CHUNK_ENTRIES if x.device.type == "cpu" else DEVICE_CHUNK_ENTRIES
    rows = max(MIN_ROWS, entries // max(width, 1))
    return torch.tensor_split(x, max(1, math.ceil(len(x) / rows)))
