"""The float32 limits the data is checked against (no torch here, for the settings' checks)."""

FLOAT32_MAX = float.fromhex("0x1.fffffep+127")
"""The largest float32 (about 3.4e38)."""
FLOAT32_TINY = 2.0**-126
"""The smallest normal float32 (about 1.2e-38)."""
SUM_HEADROOM = 2**24
MAX_SQUARED_NORM = FLOAT32_MAX / SUM_HEADROOM
"""The largest squared norm a sample may have (about 2.0e31). Training and its metrics work in
float32, whose largest number is about 3.4e38, and they sum squared norms over batches and
samples (the MSE, the FVU, the normalisation factor): this bound leaves room for sums over
SUM_HEADROOM (16.7 million) samples."""
