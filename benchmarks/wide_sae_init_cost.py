"""The cost of saeinit's init at the widths of `wide_sae.py`, stage by stage, and the start it
gives (issue 27, item 3).

    python benchmarks/wide_sae_init_cost.py [--activations runs/wide/minilm-L2]
        [--widths 3072 6144] [--inits mod:fitted:32768 ...] [--k 32] [--seed 0]
        [--out runs/wide/init-cost]

Each entry INIT:ENCODER:ROWS builds `initial_weights` exactly as wide_sae.py's informed arms
do (the seed's init stream, the batches' scaling, b_dec at the geometric median), one at a
time in this process with one torch thread, and reports the seconds of each stage: the
sample's draw from the shards, the dictionary init, the encoder init, and the rest (the
sample's checks and b_dec); then the start's held-out FVU with k latents per token under a
global top-k over the held-out tokens (BatchTopK's training activation) and per token
(TopK, sparsify's), how many latents fire on none of them, and how many fire under TopK on
none of 16,384 random training tokens (the seed's statistics stream): the held-out tokens are
the collection's last few documents, where a latent of another topic never fires.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


TRAINING_TOKENS = 16384
"""Random training tokens on which the start's never-firing latents are also counted."""


def start_quality(weights, x, k: int) -> dict:
    """Held-out FVU of the weights as a BatchTopK SAE (the n*k largest positive
    pre-activations over all n tokens) and as a TopK SAE (each token's k largest, kept when
    positive), and the latents that never fire under each."""
    import torch

    from saeinit.interop.weights import pre_activations
    from saeinit.metrics.activity import fvu

    pre = pre_activations(weights, x).clamp(min=0)
    flat = pre.flatten()
    keep = flat.topk(k * len(x)).indices
    batch = torch.zeros_like(flat).scatter(0, keep, flat[keep]).view_as(pre)
    top = pre.topk(k, dim=1)
    token = torch.zeros_like(pre).scatter(1, top.indices, top.values)
    out = {}
    for name, acts in (("batchtopk", batch), ("topk", token)):
        out[f"fvu_{name}"] = fvu(x, acts @ weights.W_dec + weights.b_dec)
    out["dead_batchtopk"] = int(((batch > 0).sum(0) == 0).sum())
    out["dead_topk"] = int(((token > 0).sum(0) == 0).sum())
    return out


def measure(args: argparse.Namespace) -> list[dict]:
    import torch
    from wide_sae import Task
    from wide_sae_start import informed_weights

    from saeinit.data.activations import ActivationsConfig, activation_source
    from saeinit.models.preprocess import norm_scaling_factor

    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for width in args.widths:
        for entry in args.inits:
            init, encoder, rows = entry.split(":")
            task = Task(
                "batchtopk", "saeinit", width, args.seed, 0, str(args.activations),
                init=init, encoder_init=encoder, init_rows=int(rows),
            )  # fmt: skip
            source = activation_source(
                ActivationsConfig(activations=task.activations), 4096, task.seed, 4096
            )
            factor = norm_scaling_factor(source.stats(task.stats_samples).float())
            cached = (args.out / f"{task.init_key()}.pt").exists()
            informed = informed_weights(task, source, factor, args.out)
            row = {"width": width, "init": init, "encoder": encoder, "rows": int(rows)}
            row |= {"seconds": informed["seconds"], "stages": informed["stages"], "cached": cached}
            row |= start_quality(informed["weights"], source.eval_x * factor, args.k)
            training = source.stats(TRAINING_TOKENS).float() * factor
            row["dead_topk_training"] = start_quality(informed["weights"], training, args.k)[
                "dead_topk"
            ]
            results.append(row)
            print(line(row), flush=True)
    return results


def line(row: dict) -> str:
    stages = row["stages"]
    return (
        f"| {row['width']:,} | {row['init']} + {row['encoder']} | {row['rows']:,} | "
        f"{stages['draw']:.1f} | {stages.get('dictionary', 0):.1f} | "
        f"{stages.get('encoder', 0):.1f} | {stages['other']:.1f} | {row['seconds']:.1f} | "
        f"{row['fvu_batchtopk']:.3f} | {row['fvu_topk']:.3f} | {row['dead_batchtopk']:,} | "
        f"{row['dead_topk']:,} | {row['dead_topk_training']:,} |"
    )


HEADER = (
    "| width | init | init rows | draw s | dictionary s | encoder s | rest s | total s | "
    "start FVU (BatchTopK) | start FVU (TopK) | dead at start (BatchTopK) | "
    "dead at start (TopK) | dead at start (TopK, 16,384 training tokens) |\n" + "|---" * 13 + "|"
)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activations", type=Path, default=Path("runs/wide/minilm-L2"))
    parser.add_argument("--widths", type=int, nargs="+", default=[3072, 6144])
    parser.add_argument("--inits", nargs="+", default=["mod:fitted:32768"])
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/wide/init-cost"))
    args = parser.parse_args(argv)
    print(HEADER, flush=True)
    results = measure(args)
    (args.out / "init-cost.json").write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
