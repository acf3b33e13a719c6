"""How each encoder init reads the features, by frequency: why the fitted encoder's rare latents
fall silent in training, and the whitened encoder's do not (issue 12, the 128x1024 dip).

Builds one start per --encoder-init over the same dictionary (toy data; with --steps N, then
trains N steps of the race's 128x1024 recipe: L1 0.3, the decoder at 0.01 of the rate, both
warm-ups over 1,000 steps, no final decay) and prints, for the features in bands of expected frequency (most frequent first): the median
read of each feature by the latent of its best-matching atom (W_enc[:, j] . f_i: 1 reads the
feature at its own scale), that latent's median bias, and the fraction of the features on which
that latent fires when the feature is presented alone at the live-MMCS coefficient 0.5.

    python benchmarks/encoder_reads.py [--scenario 128x1024] [--init oracle] [--seed 0]
                                       [--encoders fitted whitened] [--bands 4]
                                       [--steps 5000]
"""

from __future__ import annotations

import argparse

import torch

from saeinit.data import ToyData
from saeinit.inits.encoders import ENCODER_INITS
from saeinit.tensors import normalize_rows
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings

LIVE_COEFFICIENT = 0.5
"""c of the probe c * f_i, as live MMCS presents each feature."""
RECIPE = dict(l1=0.3, decoder_lr_scale=0.01, lr_warmup_steps=1000, l1_warmup_steps=1000,
              target_mmcs=1.0)  # fmt: skip
"""The training of --steps: the race's 128x1024 recipe without its final decay."""


def trained(
    scenario: str, init: str, encoder: str, seed: int, init_samples: int | None, steps: int
):
    """The model after `steps` steps of RECIPE (0: the start), the features and their expected
    frequencies."""
    settings = dict(scenario=scenario, init=init, encoder_init=encoder, seed=seed,
                    max_steps=steps, init_samples=init_samples, threads=1,
                    progress=False) | RECIPE  # fmt: skip
    config = config_from_settings(settings)
    out = run(config)
    return out.model, out.features, ToyData(config.toy).expected_frequencies()


@torch.no_grad()
def reads(model, features: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per feature: the read and bias of its best-matching atom's latent, and whether that
    latent fires on the feature alone."""
    features = normalize_rows(features.float())
    own = (features @ normalize_rows(model.W_dec).T).argmax(dim=1)
    read = (features.T * model.W_enc[:, own]).sum(dim=0)
    bias = model.b_enc[own]
    return {"read": read, "bias": bias, "fires": LIVE_COEFFICIENT * read + bias > 0}


def band_rows(values: dict[str, torch.Tensor], frequencies: torch.Tensor, bands: int) -> list[str]:
    order = frequencies.argsort(descending=True)
    rows = []
    for part in order.tensor_split(bands):
        low, high = frequencies[part].min().item(), frequencies[part].max().item()
        rows.append(
            f"{len(part)} features, p {low:.1e}-{high:.1e} | "
            f"{values['read'][part].median().item():.3f} | "
            f"{values['bias'][part].median().item():+.3f} | "
            f"{values['fires'][part].float().mean().item():.3f}"
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="128x1024")
    parser.add_argument("--init", default="oracle")
    parser.add_argument("--init-samples", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--encoders", nargs="+", default=["fitted", "whitened"], choices=list(ENCODER_INITS)
    )
    parser.add_argument("--bands", type=int, default=4, help="frequency bands (default: 4)")
    parser.add_argument("--steps", type=int, default=0, help="training steps (default: 0)")
    args = parser.parse_args(argv)
    print(
        f"{args.scenario}, init {args.init}, seed {args.seed}, after {args.steps:,} steps; "
        "bands most frequent first"
    )
    for encoder in args.encoders:
        model, features, frequencies = trained(
            args.scenario, args.init, encoder, args.seed, args.init_samples, args.steps
        )
        print(f"\nencoder {encoder}")
        print("band | median read of its feature | median bias | fires at 0.5")
        print(*band_rows(reads(model, features), frequencies, args.bands), sep="\n")


if __name__ == "__main__":
    main()
