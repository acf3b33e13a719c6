"""Every init on --device against the same init on the CPU: the first thing to run on a GPU.

Toy data of one scenario is drawn once on the CPU and written as a dataset file, so that both
devices read the same samples (toy batches drawn on a GPU come from its own generator). Each
registered dictionary init (the encoder at its default), and each encoder init over the `data`
init's atoms, then builds its start from that file with the same seed on the CPU and on
--device (`saeinit init --data FILE --device D`, through `run` with no training steps). For
each it prints the init's seconds on both, the MMCS of both dictionaries against the toy
features, how closely the two dictionaries agree (`seed_mmcs`: 1 when they are the same atoms;
matching pursuit may pick other atoms where float rounding differs between devices) and the
largest difference between the two encoders' weights. A case that fails prints why, and the
others still run.

    python benchmarks/device_agreement.py --device cuda [--scenario 128x1024] [--samples 65536]
                                          [--inits data mod ...] [--encoders fitted whitened]
"""

from __future__ import annotations

import argparse
import importlib
import tempfile
from pathlib import Path

import torch

from saeinit.data import ToyData
from saeinit.data.dataset import save_npz
from saeinit.inits import registry
from saeinit.inits.encoders import ENCODER_INITS
from saeinit.metrics.recovery import mmcs, seed_mmcs
from saeinit.training.config import TrainConfig
from saeinit.training.run import run
from saeinit.training.settings import config_from_settings

SKLEARN = ("sklearn.cluster", "sklearn.ensemble", "sklearn.mixture", "sklearn.neighbors")
"""The scikit-learn modules the inits import on first use."""
WARM_UP = ("mod", "fitted")
"""The start built once, untimed, on a device other than the CPU before the table."""
HEADER = "init         encoder    cpu s   device s  cpu MMCS  device MMCS  agreement  max |dW_enc|"


def toy_file(scenario: str, samples: int, folder: Path) -> tuple[Path, int]:
    """The scenario's toy data (seed 0, drawn in training's batches) as a dataset file in
    `folder`, and its feature count."""
    config = config_from_settings({"scenario": scenario}).toy
    toy = ToyData(config)
    batch = toy.sample_batches(samples, torch.Generator().manual_seed(0), TrainConfig.batch_size)
    path = folder / "toy.npz"
    save_npz(path, batch.x, batch.coefficients, toy.features, TrainConfig.batch_size)
    return path, config.features


def start(data: Path, atoms: int, init: str, encoder: str, device: str) -> dict:
    """The start built on `device`: the init's seconds, its atoms and encoder on the CPU."""
    settings = dict(data_file=str(data), dict_size=atoms, init=init, encoder_init=encoder,
                    device=device, max_steps=0, threads=1, progress=False)  # fmt: skip
    output = run(config_from_settings(settings))
    model = output.model.cpu()
    return {
        "seconds": output.result["init_seconds"],
        "atoms": model.W_dec.detach(),
        "encoder": model.W_enc.detach(),
        "features": output.features.cpu(),
    }


def row(init: str, encoder: str, cpu: dict, device: dict) -> str:
    features = cpu["features"]
    encoders = (cpu["encoder"] - device["encoder"]).abs().max().item()
    return (
        f"{init:<12} {encoder:<9} {cpu['seconds']:7.2f} {device['seconds']:9.2f} "
        f"{mmcs(features, cpu['atoms']):9.4f} {mmcs(features, device['atoms']):12.4f} "
        f"{seed_mmcs(cpu['atoms'], device['atoms']):10.4f} {encoders:13.2e}"
    )


def cases(inits: list[str], encoders: list[str]) -> list[tuple[str, str]]:
    """(init, encoder) pairs: each init with the default encoder, each encoder over `data`."""
    return [(init, "default") for init in inits] + [("data", enc) for enc in encoders]


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="the device compared with the CPU")
    parser.add_argument("--scenario", default="128x1024", help="toy scenario DIMxFEATURES")
    parser.add_argument("--samples", type=int, default=65536, help="rows of the dataset file")
    parser.add_argument("--inits", nargs="+", default=registry.names(), help="dictionary inits")
    encoders = [name for name, spec in ENCODER_INITS.items() if spec.function]
    parser.add_argument("--encoders", nargs="+", default=encoders, help="encoder inits")
    args = parser.parse_args(argv)
    for module in SKLEARN:  # imported before the first init, so that no init's seconds hold it
        importlib.import_module(module)
    lines = [f"{args.scenario}, {args.samples:,} samples, cpu against {args.device}", HEADER]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        data, features = toy_file(args.scenario, args.samples, Path(folder))
        if args.device != "cpu":  # the device's libraries load on first use: not in a row
            start(data, features, *WARM_UP, args.device)
        for init, encoder in cases(args.inits, args.encoders):
            lines.append(compared(data, features, init, encoder, args.device))
            print(lines[-1], flush=True)
    return lines


def compared(data: Path, features: int, init: str, encoder: str, device: str) -> str:
    """The case's row, or a line saying how it failed (the other cases still run)."""
    try:
        built = [start(data, features, init, encoder, dev) for dev in ("cpu", device)]
    except Exception as err:  # any failure on the device is a finding
        return f"{init:<12} {encoder:<9} failed: {type(err).__name__}: {err}".splitlines()[0]
    return row(init, encoder, *built)


if __name__ == "__main__":
    main()
