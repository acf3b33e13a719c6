"""The settings of a tuning study and the space its trials search (see `tune`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from saeinit import inits
from saeinit.config import ConfigError, require_integer, split_list
from saeinit.data.toy_config import parse_scenario
from saeinit.identity import digest, identity
from saeinit.training.settings import config_from_settings


class Knob(NamedTuple):
    """One option a trial suggests: an InitConfig field, its range, and how it is sampled."""

    name: str
    low: float
    high: float
    log: bool = True
    integer: bool = True


SAMPLER_SEEDS = 2**32
"""Optuna's TPE sampler seeds numpy's legacy RandomState, which takes seeds below 2^32."""

SHARED_KNOBS = (
    Knob("rare_ratio", 0.001, 0.2, integer=False),
    Knob("init_samples", 1024, 16384),
)
"""The options every rare init has; rare_ratio's low end is raised to 1/n (one rare vector)."""
OWN_KNOBS: dict[str, tuple[Knob, ...]] = {
    # LocalOutlierFactor costs the square of its sample (docs/tuning.md), so its sample is capped.
    "outliers": (Knob("lof_neighbors", 10, 500), Knob("init_samples", 1024, 8192)),
    "centroid": (Knob("centroid_batch_size", 64, 4096),),
    "isolation": (Knob("isolation_trees", 20, 500), Knob("isolation_subsample", 32, 1024)),
}
"""Each init's own options; a knob named like a shared one replaces its range."""


def tunable() -> list[str]:
    """The inits `tune` can tune: the rare inits."""
    return [spec.name for spec in inits.available() if spec.uses_base]


@dataclass
class TuneConfig:
    """An Optuna study over one rare init's options, scored by samples to a target MMCS."""

    init: str = "outliers"
    """The rare init whose options are tuned (average, centroid, mixture, outliers, isolation)."""
    scenario: str = "128x256"
    """Toy data DIMxFEATURES every run trains on (the dictionary has FEATURES atoms)."""
    l1: float = 0.1
    """L1 coefficient of every run's SAE."""
    target_mmcs: float = 0.99
    """The MMCS to reach in as few training samples as possible."""
    max_steps: int = 10_000
    """Step budget of each run (batches of train's default --batch-size); a run that misses the target scores budget +
    (1 - final MMCS) * budget samples."""
    seeds: int = 3
    """Runs per trial, with seeds 0..seeds-1 (data and training); the objective is their median."""
    trials: int = 20
    """Trials this call adds to the study (0: only print what the study holds)."""
    study: str = "tune.sqlite"
    """SQLite file of the Optuna study; running the same command again resumes the study."""
    study_name: str | None = None
    """Name of the study in the file (unset: the init, the scenario and a hash of the settings
    that change the objective)."""
    sampler_seed: int = 0
    """Seed of the TPE sampler (plus the trials already in the study, so that a resumed study
    does not repeat its first points; counted modulo 2^32, the seeds the sampler takes)."""
    bases: str | None = None
    """Comma-separated --rare-base inits to search among (unset: every non-rare init)."""
    baselines: str = "orthogonal,data"
    """Comma-separated inits measured with the same objective and seeds (empty: none)."""
    threads: int = 1
    """Torch threads of each run."""

    def __post_init__(self) -> None:
        if self.init not in tunable():
            raise ConfigError(
                "init", f"cannot tune {self.init!r}; choose one of {', '.join(tunable())}"
            )
        parse_scenario(self.scenario)
        for option in ("seeds", "threads"):
            if getattr(self, option) < 1:
                raise ConfigError(option, f"must be an integer >= 1, got {getattr(self, option)}")
        require_integer("sampler-seed", self.sampler_seed, minimum=0)
        if self.sampler_seed >= SAMPLER_SEEDS:
            raise ConfigError(
                "sampler-seed",
                f"must be below 2^32 = {SAMPLER_SEEDS} (Optuna's TPE sampler takes no larger "
                f"seed), got {self.sampler_seed}",
            )
        if self.trials < 0:
            raise ConfigError("trials", f"must be >= 0, got {self.trials}")
        if not self.study:
            raise ConfigError("study", "needs a file name")
        base_choices = inits.choices()["rare_base"]
        for name in self.base_list():
            if name not in base_choices:
                raise ConfigError(
                    "bases",
                    f"{name!r} is not a non-rare init; choose from {', '.join(base_choices)}",
                )
        for name in self.baseline_list():
            if name not in inits.names():
                raise ConfigError("baselines", f"unknown init {name!r}")
        require_integer("max-steps", self.max_steps)  # a study needs runs that train
        config_from_settings(self.run_settings())  # refuses a bad l1, target or budget now

    def base_list(self) -> list[str]:
        return split_list(self.bases) if self.bases else inits.choices()["rare_base"]

    def baseline_list(self) -> list[str]:
        return split_list(self.baselines)

    def run_settings(self) -> dict[str, Any]:
        """The settings every run of the study shares (the init's options come on top)."""
        return {
            "scenario": self.scenario,
            "l1": self.l1,
            "target_mmcs": self.target_mmcs,
            "max_steps": self.max_steps,
            "threads": self.threads,
            "progress": False,
            "init": self.init,
        }

    def identity(self) -> dict[str, Any]:
        """What the objective depends on; a study resumes only with the same identity."""
        return identity(self) | {"bases": self.base_list()}

    def name(self) -> str:
        if self.study_name:
            return self.study_name
        return f"{self.init}-{self.scenario}-{digest(self.identity(), 8)}"


def search_space(config: TuneConfig) -> list[Knob]:
    """The knobs of the study's init, rare_ratio from one rare vector (1/n) upwards."""
    knobs = {knob.name: knob for knob in (*SHARED_KNOBS, *OWN_KNOBS.get(config.init, ()))}
    n_atoms = parse_scenario(config.scenario)[1]
    ratio = knobs["rare_ratio"]
    knobs["rare_ratio"] = ratio._replace(low=max(ratio.low, 1.0 / n_atoms))
    return list(knobs.values())
