"""saeinit: train sparse autoencoders from an informed initial dictionary.

The public API, importable from the top (each name loads its module on first use, so that
`import saeinit` and the command line stay light):

    from saeinit import RunConfig, ToyConfig, TrainConfig, run
    out = run(RunConfig(toy=ToyConfig(dim=128, features=256), train=TrainConfig(max_steps=2000)))

- `RunConfig`, `config_from_settings`, `run`: one run from its settings to its result;
- `ToyConfig`, `SAEConfig`, `InitConfig`, `TrainConfig`, `ActivationsConfig`: its sections;
- `initialize`, `InitRequest`, `fitted_encoder`: the inits on their own;
- `build_sae`, `save_sae`, `load_sae`: SAEs in SAELens' layout.
- `initial_weights`, `InitialWeights`, `fill_saelens`, `fill_sparsify`,
  `fill_dictionary_learning`: an initial SAE from activations in memory, and adapters that
  fill another library's SAE with it; `ordered_by_use`: its latents most used first (for a
  Matryoshka SAE); `jumprelu_start`: thresholds for a JumpReLU SAE; `topk_start`: a share of
  a per-token top-k for the latents it would never pick; `topk_atoms`: atoms refitted to a
  per-token top-k's codes; `topk_gain`: the encoder's scale for a per-token top-k.
"""

from saeinit.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "RunConfig": "saeinit.training.settings",
        "config_from_settings": "saeinit.training.settings",
        "run": "saeinit.training.run",
        "RunOutput": "saeinit.training.run",
        "ToyConfig": "saeinit.data.toy_config",
        "SAEConfig": "saeinit.models.config",
        "InitConfig": "saeinit.inits.config",
        "TrainConfig": "saeinit.training.config",
        "ActivationsConfig": "saeinit.data.activations.config",
        "initialize": "saeinit.inits",
        "InitRequest": "saeinit.inits.request",
        "fitted_encoder": "saeinit.inits.encoder",
        "build_sae": "saeinit.models.registry",
        "save_sae": "saeinit.models.io",
        "load_sae": "saeinit.models.io",
        "initial_weights": "saeinit.interop",
        "InitialWeights": "saeinit.interop",
        "fill_saelens": "saeinit.interop",
        "fill_sparsify": "saeinit.interop",
        "fill_dictionary_learning": "saeinit.interop",
        "ordered_by_use": "saeinit.interop",
        "jumprelu_start": "saeinit.interop",
        "topk_start": "saeinit.interop",
        "topk_gain": "saeinit.interop",
        "topk_atoms": "saeinit.interop",
    },
)
