"""The settings of a race (`saeinit race`): which inits, scenarios and seeds, and the grid of
runs they make (no torch here: the command line reads this to list its options)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from saeinit import inits
from saeinit.config import (
    ConfigError,
    require_choice,
    require_integer,
    require_positive,
    split_list,
)
from saeinit.data.synthetic.config import check_world_name
from saeinit.data.toy_config import parse_scenario
from saeinit.experiments.grid import GridSpec, grid_from_dict
from saeinit.experiments.recommendation import RECIPES, RECOMMENDED
from saeinit.inits.encoders import ENCODER_INITS
from saeinit.models.config import reads_setting
from saeinit.models.registry import ARCHITECTURES
from saeinit.seeding import require_seed

BUDGETS, L1 = {"128x256": 10_000}, {"128x256": 0.1}
"""Step budget and L1 per scenario (elsewhere 20,000 and 0.3): the L1 that served orthogonal init
best in the project's sweeps, and a budget that lets it reach 0.99 MMCS where it can."""
SKLEARN_TARGET, SKLEARN_BATCH = 0.95, 1024
SKLEARN_FIT = "cd"
"""MiniBatchDictionaryLearning's fit_algorithm in the race: coordinate descent, which runs
several partial_fit calls in the time scikit-learn's default (lars) takes for one
(docs/retention.md)."""
MEASURES = ("mmcs", "live")
"""What a race can measure: MMCS, or live MMCS (`RaceConfig.measure`)."""
RACE_SETTINGS = (
    "scenario", "seed", "init", "encoder_init", "max_steps", "l1", "log_every", "synthetic",
)  # fmt: skip
"""Settings the race sets itself (from its own options), which --recipe may not."""
TOY_ENTRIES, WORLD_ENTRIES = f"orthogonal {RECOMMENDED}", "saelens+tied sae-mod+tied"
"""The default entries on toy data (orthogonal init, the reference, against the recommended
init), and on a synthetic world (SAELens' default SAE first)."""
WORLD_RECIPE = {"architecture": "batchtopk", "lr": 3e-4, "batch_size": 1024}
WORLD_RECIPE |= {"auxk": True, "auxk_coefficient": 1.0, "auxk_dead_samples": 1_024_000}
WORLD_RECIPE |= {"eval_samples": 20_000, "target_mmcs": 1.0}
"""SynthSAEBench's training recipe (SAELens' BatchTopK: lr 3e-4, batch 1,024, its AuxK loss at
weight 1 on latents silent for 1,000 steps), evaluated on 20,000 held-out samples, every run
training its whole budget; the width is a quarter of the world's features and k the L0 of
those most frequent features (`world_race.world_k`)."""
WORLD_BUDGET = 16_000_000
"""Training samples of every run on a world (unset --max-steps)."""
LOG_EVERY = {"toy": 100, "world": 500}
"""Steps between two history rows (unset --log-every)."""


@dataclass
class RaceConfig:
    """A race of SAE inits on toy data, resumable through its result store."""

    entries: str | None = None
    """The entries, separated by spaces or commas: INIT, or INIT+ENCODER for an --encoder-init
    (mod+fitted: mod's dictionary with the fitted encoder). The first is the baseline and the
    second the best, and the ratios are baseline / best; any further entries run beside them
    (unset: orthogonal init against the recommended modes+whitened; on a --synthetic world
    "saelens+tied sae-mod+tied", SAELens' default SAE first)."""
    synthetic: str | None = None
    """Race on this synthetic world instead of toy scenarios (a preset such as
    synthsaebench-4k, or a SyntheticModelConfig JSON; `saeinit train --synthetic`), under
    SynthSAEBench's recipe: BatchTopK a quarter as wide as the world's features, k the L0 of
    those most frequent features, lr 3e-4, batch 1,024, 16M samples; the table gives MCC, F1
    and the rest of SAELens' metrics, and the samples (the init's own counted) and seconds
    (the init's included) at which each entry reaches the baseline's end-of-budget MCC and
    F1."""
    scenarios: str = "128x256"
    """Toy scenarios DIMxFEATURES, separated by commas or spaces, e.g. 128x256,128x512."""
    seeds: str = "0"
    """Seeds of the data and the runs, e.g. 0,1,2 (the table gives medians over them)."""
    out: str = "race"
    """Folder of race.sqlite (the runs, which a second call reuses) and race.png (the curves)."""
    store: str | None = None
    """Result store of the runs (unset: race.sqlite in --out)."""
    max_steps: int | None = None
    """Step budget of every run (unset: the race's budget for the scenario, which the table's header prints, or 16M samples on a world); 0.99 MMCS stops it on toy data."""
    l1: float | None = None
    """L1 coefficient of every SAE (unset: the race's L1 for the scenario, which the table's header prints)."""
    log_every: int | None = None
    """Steps between two points of the curves (unset: 100, MMCS being checked every 10 for
    the crossings; 500 on a world, where each point is also the crossings' check)."""
    workers: int | None = None
    """Local worker processes, one SAE each on one torch thread (unset: one per core)."""
    recipe: str | None = None
    """Training settings every run shares, as NAME=VALUE pairs separated by spaces (the options
    of saeinit train, with underscores), e.g. "architecture=jumprelu lr_warmup_steps=1000", so
    that the inits race under another recipe than the reference ("" for the reference; unset:
    the recommended init, modes+whitened, races under the scenario's recommended recipe, its
    init sample included, and every other entry under the reference); the table's header
    prints them."""
    baseline_recipe: str | None = None
    """Training settings of the baseline entry alone, in --recipe's form ("" for the
    reference recipe; unset: as --recipe gives it), so that each side races under the recipe
    that suits its start: a random start and an informed one may need different ones
    (docs/retention.md). The ratios then compare init and recipe together."""
    measure: str = "mmcs"
    """What the table, its ratios and race.png measure: mmcs (each feature's best atom,
    whatever fires) or live (live MMCS: only the atoms of latents that fire on the feature
    alone, which MMCS flatters when latents stop firing; docs/retention.md). With live, every
    run trains its whole budget, since reaching 0.99 MMCS does not mean 0.99 live MMCS."""
    sklearn_seconds: float | None = None
    """Also race scikit-learn's MiniBatchDictionaryLearning to 0.95 MMCS for at most this many
    seconds per scenario and seed, where the best entry reached 0.95 (unset: not raced)."""

    def __post_init__(self) -> None:
        entries = self.entry_list()
        if len(entries) < 2:
            raise ConfigError("entries", f"needs a baseline and a best entry, got {entries}")
        for init, plus, encoder in (entry.partition("+") for entry in entries):
            require_choice("entries", init, tuple(inits.names()))
            if plus:
                require_choice("entries", encoder, tuple(ENCODER_INITS))
        lists = {"entries": entries, "scenarios": self.scenario_list(), "seeds": self.seed_list()}
        for option, values in lists.items():
            repeated = sorted({str(v) for v in values if values.count(v) > 1})
            if not values or repeated:
                why = f"names {', '.join(repeated)} more than once" if repeated else "names none"
                raise ConfigError(option, why)
        if not self.out:
            raise ConfigError("out", "needs a folder")
        if self.workers is not None:
            require_integer("workers", self.workers)
        require_positive("sklearn-seconds", self.sklearn_seconds, allow_none=True)
        require_choice("measure", self.measure, MEASURES)
        if self.synthetic is not None:
            check_world_name(self.synthetic)
            for option in ("l1", "sklearn_seconds"):
                if getattr(self, option) is not None:
                    name = option.replace("_", "-")
                    raise ConfigError(name, "races toy data only; leave it out with --synthetic")
        self.spec()  # every run's settings (budget, L1, log_every) checked now, before any run

    def entry_list(self) -> list[str]:
        default = WORLD_ENTRIES if self.synthetic else TOY_ENTRIES
        return split_list(default if self.entries is None else self.entries)

    def log_steps(self) -> int:
        default = LOG_EVERY["world" if self.synthetic else "toy"]
        return default if self.log_every is None else self.log_every

    def pair(self) -> tuple[str, str]:
        """The baseline and the best entry."""
        return self.entry_list()[0], self.entry_list()[1]

    def scenario_list(self) -> list[str]:
        """The scenarios as DIMxFEATURES (the label the store gives their runs)."""
        try:
            return ["{}x{}".format(*parse_scenario(text)) for text in split_list(self.scenarios)]
        except ConfigError as err:
            raise ConfigError("scenarios", err.message) from err

    def seed_list(self) -> list[int]:
        seeds = split_list(self.seeds)
        for text in seeds:
            if not re.fullmatch(r"\d+", text):
                raise ConfigError("seeds", f"a seed is an integer >= 0, got {text!r}")
        require_seed("seeds", *(int(text) for text in seeds))
        return [int(text) for text in seeds]

    def recipe_settings(self) -> dict:
        """--recipe as settings: NAME=VALUE pairs, each VALUE read as TOML (a number, true or
        false) or else kept as text ({} when unset)."""
        return _settings(self.recipe or "", "recipe")

    def recipes(self, scenario: str = "") -> dict[str, tuple[str, str]]:
        """Per entry: the option its recipe comes from, and the recipe in --recipe's form, on
        `scenario` (the recommended recipe where --recipe is unset)."""
        baseline = self.pair()[0]
        recommended = RECIPES.get(scenario) if self.recipe is None and not self.synthetic else None
        found = {}
        for entry in self.entry_list():
            if entry == baseline and self.baseline_recipe is not None:
                found[entry] = ("baseline-recipe", self.baseline_recipe)
            elif entry == RECOMMENDED and recommended is not None:
                found[entry] = ("recipe", recommended.text(self.budget(scenario)))
            else:
                found[entry] = ("recipe", self.recipe or "")
        return found

    def live(self) -> bool:
        """Whether the race measures live MMCS (--measure live)."""
        return self.measure == "live"

    def budget(self, scenario: str) -> int:
        if self.max_steps is not None:
            return self.max_steps
        if self.synthetic:
            return -(-WORLD_BUDGET // int(self.recipe_settings().get("batch_size", 1024)))
        return BUDGETS.get(scenario, 20_000)

    def l1_of(self, scenario: str) -> float:
        return self.l1 if self.l1 is not None else L1.get(scenario, 0.3)

    def store_path(self) -> Path:
        return Path(self.store) if self.store else Path(self.out) / "race.sqlite"

    def spec(self, k: float | None = None) -> GridSpec:
        """The race's runs as a grid: one block per scenario (or world) and entry; `k`: the
        BatchTopK k of a world's race (unset: the architecture's default, for checking)."""
        if self.synthetic:
            base = WORLD_RECIPE | {"eval_every": self.log_steps(), "log_every": self.log_steps()}
            places = [{"synthetic": self.synthetic}]
        else:
            base = {"eval_every": 10, "log_every": self.log_steps()}
            places = [{"scenario": s, "l1": self.l1_of(s)} for s in self.scenario_list()]
        if self.live():
            base["target_mmcs"] = 1.0  # no stop at 0.99 MMCS, which live MMCS may not reach
        blocks = []
        for place in places:
            for entry, (option, text) in self.recipes(place.get("scenario", "")).items():
                recipe = _settings(text, option)
                world_k = self._world_k(k, (base | recipe).get("architecture"))
                block = {
                    **{name: [value] for name, value in place.items()},
                    "max_steps": [self.budget(place.get("scenario", ""))],
                    **{name: [value] for name, value in (base | world_k | recipe).items()},
                    **{name: [value] for name, value in entry_settings(entry).items()},
                    "seed": self.seed_list(),
                }
                try:  # each block checked alone, so that an error names its recipe's option
                    grid_from_dict({"title": "The race", "axes": [block]})
                except ConfigError as err:
                    if err.option == "grid" or err.option.replace("-", "_") in recipe:
                        raise ConfigError(option, f"{err.option}: {err.message}") from err
                    raise
                blocks.append(block)
        return grid_from_dict({"title": "The race", "axes": blocks})

    def _world_k(self, k: float | None, architecture: str | None) -> dict:
        """The world's k as the setting of an architecture that reads it (BatchTopK's kinds);
        nothing for the others, which refuse a setting they would ignore."""
        if not self.synthetic or k is None or architecture not in ARCHITECTURES:
            return {}  # an unknown architecture is refused with the rest of the block
        return {"batchtopk_k": k} if reads_setting(architecture, "batchtopk_k") else {}


def _settings(recipe: str, option: str) -> dict:
    """A recipe as settings: NAME=VALUE pairs, each VALUE read as TOML (a number, true or
    false) or else kept as text; a malformed pair or a setting of the race's own is an error
    naming `option`."""
    settings = {}
    for pair in recipe.split():
        name, equals, text = pair.partition("=")
        if not (equals and name and text):
            raise ConfigError(option, f"expected NAME=VALUE pairs, got {pair!r}")
        if name in RACE_SETTINGS:
            raise ConfigError(option, f"{name} is set by the race's own options")
        settings[name] = _value(text)
    return settings


def _value(text: str):
    """A --recipe value: an integer, a float, true/false, or else the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def entry_settings(entry: str) -> dict:
    """'mod' -> {init: mod}; 'mod+fitted' -> {init: mod, encoder_init: fitted}."""
    init, _, encoder = entry.partition("+")
    return {"init": init} | ({"encoder_init": encoder} if encoder else {})


def entry_of(settings: dict) -> str:
    """The entry a run's settings belong to (the inverse of entry_settings)."""
    encoder = settings.get("encoder_init", "default")
    return settings["init"] + ("" if encoder == "default" else f"+{encoder}")
