"""Every setting of a run: `RunConfig`, built from flat settings (CLI options, grid points)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from saeinit.config import ConfigError
from saeinit.data.activations import ActivationsConfig
from saeinit.data.synthetic.config import SyntheticConfig
from saeinit.data.toy_config import ToyConfig, parse_scenario
from saeinit.identity import changed, digest, identity
from saeinit.inits import InitConfig
from saeinit.inits.encoders import ENCODER_INITS
from saeinit.models import SAEConfig
from saeinit.models.registry import ARCHITECTURES
from saeinit.seeding import require_seed
from saeinit.training.config import STEP_UNIT, TOY_DATASET_DRAW, TrainConfig


@dataclass
class RunConfig:
    """Every setting of a run; saved whole in its result."""

    toy: ToyConfig = field(default_factory=ToyConfig)
    sae: SAEConfig = field(default_factory=SAEConfig)
    init: InitConfig = field(default_factory=InitConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    acts: ActivationsConfig = field(default_factory=ActivationsConfig)
    synth: SyntheticConfig = field(default_factory=SyntheticConfig)
    data_file: str | None = None
    """Train on this .npz dataset (x, optional features) instead of toy data."""
    start_from: str | None = None
    """Start from this saved SAE (ours or SAELens') instead of an init."""
    save_under: str | None = None
    """Save the trained SAE (SAELens layout) in a subfolder of this folder named after the
    run (init, seed and its key); for grids, where each run needs its own."""

    def __post_init__(self) -> None:
        size, batch = self.toy.dataset_size, self.train.batch_size
        if self.other_data() is None and size is not None and batch > size:
            raise ConfigError(
                "batch-size",
                f"{batch} is above --dataset-size {size}: every batch would hold the whole "
                f"dataset ({size} samples); give --batch-size {size} or less",
            )
        self._refuse_unread_settings()

    def other_data(self) -> str | None:
        """The option that replaces toy data (data, activations, synthetic), or None."""
        given = {"data": self.data_file, "activations": self.acts.activations}
        given["synthetic"] = self.synth.synthetic
        return next((option for option, value in given.items() if value is not None), None)

    def _refuse_unread_settings(self) -> None:
        """Refuse settings away from their defaults that this run would not read: toy data's
        with other data, the whitened encoder's bias with another encoder init, an encoder
        sample for an encoder init that reads none, a sparsity warm-up without a sparsity
        coefficient."""
        other = self.other_data()
        for option in fields(ToyConfig) if other else ():
            if option.name != "seed" and getattr(self.toy, option.name) != option.default:
                raise ConfigError(
                    option.name.replace("_", "-"),
                    f"shapes toy data, which --{other} replaces: leave it out",
                )
        encoder = ENCODER_INITS[self.sae.encoder_init]
        unread = {"encoder_sigmas": encoder.name != "whitened"}
        unread["encoder_samples"] = not encoder.uses_sample
        for name, ignored in unread.items():
            if ignored and getattr(self.init, name) != getattr(InitConfig, name):
                raise ConfigError(
                    name.replace("_", "-"),
                    f"is not read by --encoder-init {encoder.name}: leave it out",
                )
        options = ARCHITECTURES[self.sae.architecture].options
        if self.train.l1_warmup_steps and options.sparsity_coefficient is None:
            raise ConfigError(
                "l1-warmup-steps",
                f"warms up a sparsity coefficient, which --architecture "
                f"{self.sae.architecture} has none of (it keeps a count of latents): leave it out",
            )


SECTIONS: dict[str, type] = {
    "toy": ToyConfig,
    "sae": SAEConfig,
    "init": InitConfig,
    "train": TrainConfig,
    "acts": ActivationsConfig,
    "synth": SyntheticConfig,
}
TOP_LEVEL = ("data_file", "start_from", "save_under")
EXTRA_SETTINGS = ("scenario", "data_seed", *TOP_LEVEL)
"""Flat settings that are not a field of one section: --scenario sets dim and features,
--data-seed the toy seed (default: seed), and the RunConfig's own fields."""


INIT_SETTINGS = {*(f.name for f in fields(InitConfig)), "encoder_init"}
"""The settings of an init, which a run started from a saved SAE does not use."""


OTHER_DATA = {"data_file": "data", "activations": "activations", "synthetic": "synthetic"}
"""The flat settings that replace toy data, and their options."""


def setting_names() -> set[str]:
    """Every flat setting name a grid or the CLI may use."""
    names = {f.name for cls in SECTIONS.values() for f in fields(cls)}
    return names | set(EXTRA_SETTINGS)


def config_from_settings(settings: dict) -> RunConfig:
    """Build a RunConfig from flat settings (CLI option names with underscores); settings not
    given take the dataclass defaults. `seed` seeds both the data and the training."""
    settings = {k: v for k, v in settings.items() if v is not None}
    other = next((OTHER_DATA[name] for name in OTHER_DATA if name in settings), None)
    for name in ("scenario", "data_seed"):
        if other and name in settings:
            raise ConfigError(
                name.replace("_", "-"), f"shapes toy data, which --{other} replaces: leave it out"
            )
    if "scenario" in settings:
        dim, features = parse_scenario(str(settings.pop("scenario")))
        for name, implied in (("dim", dim), ("features", features)):
            if settings.setdefault(name, implied) != implied:
                raise ConfigError(name, f"contradicts --scenario {dim}x{features}")
    data_seed = settings.pop("data_seed", None)
    top = {name: settings.pop(name, None) for name in TOP_LEVEL}
    ignored = [name for name in settings if name in INIT_SETTINGS]
    if top["start_from"] is not None and ignored:
        raise ConfigError(
            ignored[0].replace("_", "-"),
            "would be ignored: --start-from starts from a saved SAE, not from an init; "
            "give one or the other",
        )
    sections: dict[str, dict] = {name: {} for name in SECTIONS}
    for key, value in settings.items():
        owners = [name for name, cls in SECTIONS.items() if key in {f.name for f in fields(cls)}]
        if not owners:
            raise ConfigError(
                key.replace("_", "-"), f"unknown setting; known: {sorted(setting_names())}"
            )
        for owner in owners:
            sections[owner][key] = value
    if data_seed is not None:
        require_seed("data-seed", data_seed)
        sections["toy"]["seed"] = data_seed
    built = {name: SECTIONS[name](**values) for name, values in sections.items()}
    return RunConfig(**built, **top)


def stored_config(config: dict) -> dict:
    """A run's saved config as this version names it (results stored before the toy section
    was renamed call it "data")."""
    if "data" in config and "toy" not in config:
        config = {("toy" if name == "data" else name): value for name, value in config.items()}
    return config


def step_unit(result: dict) -> str:
    """What a stored result's steps count: "batch" (one optimiser update on one batch of
    --batch-size; every result records it as "step_unit" since steps mean that whatever the
    data), or "epoch" for a result saved before, on a fixed dataset (--data or
    --dataset-size), which counted a whole epoch (all its batches) as one step, in steps, in
    --max-steps, --eval-every, --log-every, --resample-every and in its crossings and history.
    Results on streams (toy batches, activations) always counted batches."""
    if "step_unit" in result:
        return result["step_unit"]
    config = stored_config(result.get("config") or {})
    fixed = config.get("data_file") or (config.get("toy") or {}).get("dataset_size")
    return "epoch" if fixed else STEP_UNIT


def one_draw_toy_dataset(result: dict) -> bool:
    """True for a stored result trained on a fixed toy dataset (--dataset-size) before such a
    dataset was drawn in training batches: one copula draw shared by all its samples, so other
    data than the same settings give now."""
    config = stored_config(result.get("config") or {})
    toy_fixed = (config.get("toy") or {}).get("dataset_size") and not config.get("data_file")
    toy_fixed = toy_fixed and not (config.get("acts") or {}).get("activations")
    return bool(toy_fixed) and result.get("toy_dataset_draw") != TOY_DATASET_DRAW


def run_key(config: RunConfig) -> str:
    """A stable 16-hex-digit key from every setting that changes the result. Only settings
    that differ from their defaults enter it, so a setting added with a default leaves the keys
    of stored runs (and thus resume) unchanged; `experiments.sweep` checks a stored run's whole
    config against the point, so a changed default is caught rather than resumed over."""
    return digest(changed(identity(config), identity(RunConfig())), 16)


def run_folder_name(config: RunConfig) -> str:
    """init-seedN-KEY: the folder a grid saves a run's SAE in."""
    return f"{config.init.init}-seed{config.train.seed}-{run_key(config)[:10]}"


def data_label(config: dict) -> str:
    """What a stored run trained on: the toy scenario DIMxFEATURES, or its data's path."""
    config = stored_config(config)
    if (config.get("synth") or {}).get("synthetic"):
        return f"synthetic:{config['synth']['synthetic']}"
    if config.get("acts", {}).get("activations"):
        return f"activations:{config['acts']['activations']}"
    if config.get("data_file"):
        return f"npz:{config['data_file']}"
    return f"{config['toy']['dim']}x{config['toy']['features']}"
