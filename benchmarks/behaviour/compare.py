"""Compare two folders of `saeinit train --json` results written by capture.sh, before and after
a change that must not change behaviour: every value but seconds and thread counts must agree
(a key only one side has is listed as such; results saved before the toy section was renamed
call it "data").

    bash benchmarks/behaviour/capture.sh /tmp/before   # on the old commit
    bash benchmarks/behaviour/capture.sh /tmp/after    # on the new one
    python benchmarks/behaviour/compare.py /tmp/before /tmp/after
"""

import json
import pathlib
import sys

SKIP = {"seconds", "train_seconds", "eval_seconds", "init_seconds", "threads", "saved_to"}


def norm(v, path=""):
    if isinstance(v, dict):
        v = dict(v)
        if "data" in v and "toy" not in v and "train" in v:
            v["toy"] = v.pop("data")
        return {k: norm(x, path + "." + k) for k, x in v.items() if k not in SKIP}
    if isinstance(v, list):
        return [norm(x, path) for x in v]
    return v


def diff(a, b, path=""):
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'after' if k not in a else 'before'}")
            else:
                out += diff(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}[{i}]")
    elif a != b:
        out.append(f"{path}: {a!r} -> {b!r}")
    return out


for f in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    a = norm(json.loads(f.read_text()))
    b = norm(json.loads((pathlib.Path(sys.argv[2]) / f.name).read_text()))
    d = diff(a, b)
    print(f.name, "identical" if not d else f"{len(d)} differences: " + "; ".join(d[:6]))
