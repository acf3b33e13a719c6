"""saeinit's initial weights for other SAE libraries: `initial_weights` builds them from
activations in memory, the adapters fill a SAELens SAE, a sparsify SparseCoder or a
dictionary_learning AutoEncoder with them in place, and `saeinit init --format sparsify`
writes sparsify's layout (`sparsify.py`); `ordered_by_use` puts the latents the data fires most
first, for a Matryoshka SAE; `jumprelu_start` gives a JumpReLU SAE thresholds that suit the
weights; `topk_start` gives the latents a per-token top-k would never pick a share of it,
`topk_atoms` refits the atoms to the codes it gives, and `topk_gain` scales the encoder to
suit it (`topk.py`)."""

from saeinit.interop.adapters import fill_dictionary_learning, fill_saelens, fill_sparsify
from saeinit.interop.api import initial_weights
from saeinit.interop.topk import topk_atoms, topk_gain, topk_start
from saeinit.interop.weights import InitialWeights, jumprelu_start, ordered_by_use

__all__ = [
    "InitialWeights",
    "fill_dictionary_learning",
    "fill_saelens",
    "fill_sparsify",
    "initial_weights",
    "jumprelu_start",
    "ordered_by_use",
    "topk_atoms",
    "topk_gain",
    "topk_start",
]
