"""Compare two folders of `saeinit train --json` results written by capture.sh, before and after
a change that must not change behaviour: every value but seconds and thread counts must agree
(a key only one side has is listed as such; results saved before the toy section was renamed
call it "data").

    bash benchmarks/behaviour/capture.sh /tmp/before   # on the old commit
    bash benchmarks/behaviour/capture.sh /tmp/after    # on the new one
    python benchmarks/behaviour/compare.py /tmp/before /tmp/after
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SKIP = {"seconds", "train_seconds", "eval_seconds", "init_seconds", "threads", "saved_to"}
"""Values that depend on the machine, not on the computation."""


def normalised(value):
    """The value without its timings, the toy section under its current name."""
    if isinstance(value, dict):
        value = dict(value)
        if "data" in value and "toy" not in value and "train" in value:
            value["toy"] = value.pop("data")
        return {k: normalised(v) for k, v in value.items() if k not in SKIP}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value


def differences(a, b, path: str = "") -> list[str]:
    """Where two normalised results differ, by dotted path."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}.{key}: only in {'after' if key not in a else 'before'}")
            else:
                out += differences(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in differences(x, y, f"{path}[{i}]")]  # fmt: skip
    return [] if a == b else [f"{path}: {a!r} -> {b!r}"]


def main(before: Path, after: Path) -> None:
    for file in sorted(before.glob("*.json")):
        old = normalised(json.loads(file.read_text()))
        new = normalised(json.loads((after / file.name).read_text()))
        found = differences(old, new)
        print(
            file.name,
            "identical" if not found else f"{len(found)} differences: " + "; ".join(found[:6]),
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
