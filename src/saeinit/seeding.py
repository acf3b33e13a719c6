"""Named streams of randomness derived from one seed.

The features, the training batches, the init sample, the evaluation sample and the statistics
sample of a run each draw from their own stream, so that no two uses share random numbers and
changing one (a larger init sample, say) leaves the others as they were.
"""

from __future__ import annotations

import numpy as np
import torch

STREAMS = {"features": 0, "train": 1, "init": 2, "eval": 3, "stats": 4}


def derived_seed(seed: int, stream: str) -> int:
    """A 63-bit seed for one named stream of a run's randomness."""
    state = np.random.SeedSequence([seed, STREAMS[stream]]).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


def torch_generator(seed: int, stream: str, device: torch.device | str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(derived_seed(seed, stream))
