"""benchmarks/sklearn_growth.py: scikit-learn's steps inside the centroid and mixture inits."""

import importlib.util
import re
from pathlib import Path

from sklearn import cluster, mixture

PATH = Path(__file__).parents[2] / "benchmarks" / "sklearn_growth.py"
SPEC = importlib.util.spec_from_file_location("sklearn_growth_benchmark", PATH)
sklearn_growth = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(sklearn_growth)


def test_each_case_lists_scikit_learns_steps_and_leaves_scikit_learn_as_it_was():
    originals = (
        cluster.KMeans.fit,
        cluster.MiniBatchKMeans.fit,
        mixture.GaussianMixture.fit_predict,
    )
    lines = sklearn_growth.report(["centroid", "mixture"], [400], 16)
    shapes = [re.sub(r"\d[\d,.]*", "N", line) for line in lines]
    assert shapes == [
        "centroid n N d N: N s",
        "  k-means++ seeding: N s, N centres from N samples",  # 5% of 400 atoms
        "  MiniBatchKMeans fit: N s, N mini-batch steps",
        "mixture n N d N: N s",
        "  k-means++ seeding: N s, N centres from N samples",
        "  KMeans start: N s, N iterations",
        "  GaussianMixture fit: N s, N EM iterations (converged: True)",
    ]
    assert "20 centres from 3,072 samples" in lines[1]  # MiniBatchKMeans seeds from 3 batches
    assert "20 centres from 8,192 samples" in lines[4]  # KMeans from the whole init sample
    assert int(re.search(r"(\d+) EM", lines[6]).group(1)) >= 1
    assert (cluster.KMeans.fit, cluster.MiniBatchKMeans.fit,
            mixture.GaussianMixture.fit_predict) == originals  # fmt: skip
    assert not sklearn_growth.LOG
