"""Is a world's true dictionary a fixed point of the init's dictionary learning?

Runs MOD rounds (`saeinit.inits.dictlearn.mod_step`) on a synthetic world's samples from a
given start and prints, after each round, SAELens' MCC of all atoms and of the width's most
used ones (a quarter of the world's features, the SAE's width) against the world's features.
Started from the truth (the world's most frequent features, or all of them), it says whether
learning a dictionary this way keeps the features or drifts to blends of them, whatever the
start: the bound on what a data-driven init of this kind can reach (docs/synthsaebench.md).

    OMP_NUM_THREADS=1 python benchmarks/synth_fixed_point.py --atoms 1024 --coder batchtopk
"""

from __future__ import annotations

import argparse
import time

import torch

from saeinit.data.synthetic.config import SyntheticConfig
from saeinit.data.synthetic.source import WIDTH_RATIO, synthetic_source
from saeinit.data.synthetic.world import load_world
from saeinit.inits.dictlearn import mod_step, modes_dictionary
from saeinit.inits.pursuit import matching_pursuit
from saeinit.inits.sae_mod import batchtopk_codes


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", default="synthsaebench-4k", help="preset or JSON world")
    parser.add_argument("--atoms", type=int, default=1024, help="dictionary size")
    parser.add_argument(
        "--start", choices=("truth", "modes"), default="truth",
        help="truth: the world's --atoms most frequent features; modes: sae-mod's data start",
    )  # fmt: skip
    parser.add_argument(
        "--coder", choices=("batchtopk", "omp"), default="batchtopk",
        help="batchtopk: sae-mod's codes; omp: orthogonal matching pursuit over all atoms",
    )  # fmt: skip
    parser.add_argument("--k", type=int, default=16, help="mean atoms per sample in the codes")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--samples", type=int, default=65_536, help="init sample size")
    parser.add_argument(
        "--subtract-bias", action="store_true",
        help="remove the world's own bias from the samples first (an oracle of the bias)",
    )  # fmt: skip
    parser.add_argument(
        "--pool", type=int, default=2_097_152,
        help="the world's sample pool the sample is drawn from (the race's by default)",
    )  # fmt: skip
    parser.add_argument("--cache", default=None, help="saeinit's world cache (--synthetic-cache)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("atoms", "k", "rounds", "samples", "pool"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main(argv=None) -> list[dict]:
    """One row per round: round, seconds so far, MCC of all atoms and of the most used."""
    args = parse(argv)
    from sae_lens.synthetic.evals import mean_correlation_coefficient as mcc

    config = SyntheticConfig(args.world, synthetic_samples=args.pool, synthetic_cache=args.cache)
    source = synthetic_source(config, 1024, args.seed, 1024, "cpu", progress=False)
    features = source.features
    if args.atoms > len(features):
        raise SystemExit(f"--atoms {args.atoms} exceeds the world's {len(features)} features")
    x = source.draw(args.samples)
    if args.subtract_bias:
        x = x - load_world(config).model.feature_dict.bias.detach()
    generator = torch.Generator().manual_seed(args.seed)
    if args.start == "truth":
        atoms = features[: args.atoms].clone()
    else:
        atoms = modes_dictionary(x, args.atoms, generator)
    width = len(features) // WIDTH_RATIO
    rows, started = [], time.perf_counter()
    for done in range(1, args.rounds + 1):
        atoms, uses = mod_step(x, atoms, coder(args.coder, args.k), args.coder == "batchtopk")
        used = atoms[torch.argsort(uses, descending=True, stable=True)[:width]]
        row = {"round": done, "seconds": time.perf_counter() - started}
        row |= {"mcc": mcc(atoms, features), "mcc_most_used": mcc(used, features)}
        rows.append(row)
        print(
            f"round {done}: {row['seconds']:.0f} s, MCC of the {args.atoms} atoms "
            f"{row['mcc']:.4f}, of the {min(width, args.atoms)} most used "
            f"{row['mcc_most_used']:.4f}",
            flush=True,
        )
    return rows


def coder(name: str, k: int):
    if name == "batchtopk":
        return lambda x, atoms: batchtopk_codes(x, atoms, k)
    return lambda x, atoms: matching_pursuit(x, atoms, k)


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
