"""Where the scikit-learn clustering inits spend their seconds as n grows: `init_scale.py`'s
centroid and mixture cases, with scikit-learn's own steps timed and counted.

    python benchmarks/sklearn_growth.py --atoms 4096 16384 65536 [--inits centroid mixture]

For centroid (MiniBatchKMeans) it prints the k-means++ seeding's seconds, the centres and the
samples it seeds from, then the fit's seconds and mini-batch steps; for mixture
(GaussianMixture), its KMeans start's seconds and iterations, then the whole fit's seconds and
EM iterations. The iterations are scikit-learn's, capped by its defaults (KMeans 300,
GaussianMixture 100); the per-iteration seconds are what grows with n in the code. One torch
and BLAS thread, as init_scale.py's grid runs.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from unittest import mock

import torch
from sklearn import cluster, mixture
from sklearn.cluster import _kmeans

sys.path.insert(0, str(Path(__file__).parent))
from init_scale import prepared  # noqa: E402

LOG: list[str] = []


def timed(owner, name: str, line) -> contextlib.AbstractContextManager:
    """A context in which each call of owner.name appends line(self, args, kwargs, seconds) to
    LOG (the method is restored after)."""
    method = getattr(owner, name)

    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        out = method(self, *args, **kwargs)
        LOG.append(line(self, args, kwargs, time.perf_counter() - start))
        return out

    return mock.patch.object(owner, name, wrapper)


@contextlib.contextmanager
def instrumented():
    """scikit-learn's seeding, fits and their iterations logged to LOG within."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(timed(_kmeans._BaseKMeans, "_init_centroids", lambda s, a, k, t: (
            f"  k-means++ seeding: {t:.1f} s, {s.n_clusters:,} centres from "
            f"{min(k.get('init_size') or len(a[0]), len(a[0])):,} samples"
        )))  # fmt: skip
        stack.enter_context(timed(cluster.MiniBatchKMeans, "fit", lambda s, a, k, t: (
            f"  MiniBatchKMeans fit: {t:.1f} s, {s.n_steps_} mini-batch steps"
        )))  # fmt: skip
        stack.enter_context(timed(cluster.KMeans, "fit", lambda s, a, k, t: (
            f"  KMeans start: {t:.1f} s, {s.n_iter_} iterations"
        )))  # fmt: skip
        stack.enter_context(timed(mixture.GaussianMixture, "fit_predict", lambda s, a, k, t: (
            f"  GaussianMixture fit: {t:.1f} s, {s.n_iter_} EM iterations "
            f"(converged: {s.converged_})"
        )))  # fmt: skip
        yield


def report(inits: list[str], atoms: list[int], dim: int) -> list[str]:
    """Each case's line and scikit-learn's lines under it, printed as they come."""
    lines = []
    with instrumented():
        for init in inits:
            for n in atoms:
                seconds = prepared(init, n, dim, torch.device("cpu"))()
                case = [f"{init} n {n:,} d {dim}: {seconds:.1f} s", *LOG]
                print(*case, sep="\n", flush=True)
                lines += case
                LOG.clear()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inits", nargs="+", default=["centroid", "mixture"])
    parser.add_argument("--atoms", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--dim", type=int, default=768)
    args = parser.parse_args()
    torch.set_num_threads(1)
    report(args.inits, args.atoms, args.dim)


if __name__ == "__main__":
    main()
