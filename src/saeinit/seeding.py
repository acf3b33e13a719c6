"""Named streams of randomness derived from one seed, and the seeds a run accepts.

The features, the training batches, the init sample, the evaluation sample and the statistics
sample of a run each draw from their own stream, so that no two uses share random numbers and
changing one (a larger init sample, say) leaves the others as they were. numpy and torch load
when a stream is first derived: the config dataclasses check seeds without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from saeinit.config import ConfigError

if TYPE_CHECKING:
    import torch

STREAMS = {"features": 0, "train": 1, "init": 2, "eval": 3, "stats": 4}
MAX_SEED = 2**63 - 1
"""The largest seed every consumer takes: the result store keeps a run's seed in an SQLite
INTEGER (signed 64 bits), torch's generators take at most 2^64 - 1 and numpy's SeedSequence
no negative number."""


def require_seed(option: str, *seeds: object) -> None:
    """Refuse a seed that is not an integer in [0, MAX_SEED], before any work uses it."""
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ConfigError(
                option,
                f"a seed must be an integer from 0 to 2^63 - 1 = {MAX_SEED} (the largest the "
                f"result store keeps), got {seed!r}",
            )


def derived_seed(seed: int, stream: str) -> int:
    """A 63-bit seed for one named stream of a run's randomness."""
    import numpy as np

    state = np.random.SeedSequence([seed, STREAMS[stream]]).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


def torch_generator(seed: int, stream: str, device: torch.device | str = "cpu") -> torch.Generator:
    import torch

    return torch.Generator(device=device).manual_seed(derived_seed(seed, stream))
