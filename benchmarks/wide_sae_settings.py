"""`wide_sae.py`'s NAME=VALUE settings (--saelens-config, --informed-saelens-config,
--sparsify-config, --init-options): their parsing, and their checks against the configs
they change, before any run starts (a run would fail only later, after others trained)."""

from __future__ import annotations

import argparse
import json


def setting(text: str) -> tuple[str, object]:
    """NAME=VALUE as (name, value), the value read as JSON (0, 0.5, true) or else as text."""
    name, equals, value = text.partition("=")
    if not (name and equals):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def unknown_settings(args: argparse.Namespace) -> list[str]:
    """The --saelens-config / --informed-saelens-config / --sparsify-config / --init-options
    names that the chosen trainers' (or the init's) configs lack (checked before any run
    starts: a run fails only later)."""
    import dataclasses

    from saeinit import InitConfig

    configs = [("--init-options", args.init_options, [InitConfig])]
    if args.sparsify_config and "sparsify" in args.trainers:
        from sparsify.config import TrainConfig

        configs.append(("--sparsify-config", args.sparsify_config, [TrainConfig]))
    saelens = [t for t in args.trainers if t != "sparsify"]
    saelens_settings = [
        ("--saelens-config", args.saelens_config),
        ("--informed-saelens-config", args.informed_saelens_config),
    ]
    if saelens and any(settings for _, settings in saelens_settings):
        import sae_lens

        names = {
            "batchtopk": "BatchTopK",
            "jumprelu": "JumpReLU",
            "matryoshka": "MatryoshkaBatchTopK",
        }
        classes = [getattr(sae_lens, f"{names[t]}TrainingSAEConfig") for t in saelens]
        configs += [
            (option, settings, classes) for option, settings in saelens_settings if settings
        ]
    return [
        f"{option} {name}: not a field of {cls.__name__}"
        for option, settings, classes in configs
        for name, _ in settings
        for cls in classes
        if name not in {field.name for field in dataclasses.fields(cls)}
    ]


def bad_init_options(args: argparse.Namespace) -> list[str]:
    """The init's refusal of --init-options' values (checked before any run starts)."""
    from saeinit import InitConfig
    from saeinit.config import ConfigError

    try:
        InitConfig(init=args.init, **dict(args.init_options))
    except ConfigError as err:
        return [f"--init-options: {err}"]
    return []
