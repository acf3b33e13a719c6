"""The adapters against the installed libraries: a filled model encodes and decodes as our SAE
holding the same weights, where the architectures agree; a model of another shape or kind is
refused with one line naming the argument."""

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.interop import fill_dictionary_learning, fill_saelens, fill_sparsify

K = 4


@pytest.fixture(scope="module")
def x(toy):
    return toy[0][:300] * 1.5 + 0.1  # off the init sample, and not centred


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a, b, atol=1e-5, rtol=1e-5)


def dense(top_acts, top_indices, width: int) -> torch.Tensor:
    return torch.zeros(len(top_acts), width).scatter_(1, top_indices, top_acts)


@pytest.mark.parametrize("apply_b_dec_to_input", [True, False])
def test_a_saelens_standard_sae_encodes_as_ours(weights, ours, x, apply_b_dec_to_input):
    sae_lens = pytest.importorskip("sae_lens")
    config = sae_lens.StandardSAEConfig(
        d_in=16, d_sae=32, apply_b_dec_to_input=apply_b_dec_to_input
    )
    sae = fill_saelens(sae_lens.StandardSAE(config), weights)
    model = ours(weights)
    with torch.no_grad():
        acts = model.encode(x)
        assert same(sae.encode(x), acts) and acts.count_nonzero() > 0
        assert same(sae.decode(acts), model.decode(acts))


def test_a_saelens_training_topk_sae_encodes_as_ours(weights, ours, x):
    sae_lens = pytest.importorskip("sae_lens")
    config = sae_lens.TopKTrainingSAEConfig(d_in=16, d_sae=32, k=K)
    sae = fill_saelens(sae_lens.TopKTrainingSAE(config), weights)
    with torch.no_grad():
        assert same(sae.encode(x), ours(weights, K).encode(x))


def test_a_sparsify_sparse_coder_encodes_and_decodes_as_our_topk_sae(weights, ours, x):
    sparsify = pytest.importorskip("sparsify")
    coder = sparsify.SparseCoder(16, sparsify.SparseCoderConfig(num_latents=32, k=K))
    fill_sparsify(coder, weights)
    model = ours(weights, K)
    with torch.no_grad():
        top_acts, top_indices, _ = coder.encode(x)
        acts = model.encode(x)
        assert same(dense(top_acts, top_indices, 32), acts)
        assert same(coder.decode(top_acts, top_indices), model.decode(acts))


def test_a_dictionary_learning_autoencoder_encodes_and_decodes_as_ours(weights, ours, x):
    dictionary = pytest.importorskip("dictionary_learning.dictionary")
    ae = fill_dictionary_learning(dictionary.AutoEncoder(16, 32), weights)
    model = ours(weights)
    with torch.no_grad():
        acts = model.encode(x)
        assert same(ae.encode(x), acts)
        assert same(ae.decode(acts), model.decode(acts))


def test_a_dictionary_learning_topk_autoencoder_encodes_as_our_topk_sae(weights, ours, x):
    top_k = pytest.importorskip("dictionary_learning.trainers.top_k")
    ae = fill_dictionary_learning(top_k.AutoEncoderTopK(16, 32, K), weights)
    with torch.no_grad():
        assert same(ae.encode(x), ours(weights, K).encode(x))


def refused(argument: str, match: str, fill, model, weights) -> None:
    with pytest.raises(ConfigError, match=match) as caught:
        fill(model, weights)
    assert caught.value.option == argument and "\n" not in str(caught.value)


def test_a_model_of_another_width_is_refused_naming_it(weights):
    sae_lens = pytest.importorskip("sae_lens")
    sparsify = pytest.importorskip("sparsify")
    dictionary = pytest.importorskip("dictionary_learning.dictionary")
    match = "has d_in 16 and d_sae 31, the weights have d_in 16 and d_sae 32"
    sae = sae_lens.StandardSAE(sae_lens.StandardSAEConfig(d_in=16, d_sae=31))
    refused("sae", match, fill_saelens, sae, weights)
    coder = sparsify.SparseCoder(16, sparsify.SparseCoderConfig(num_latents=31, k=K))
    refused("coder", match, fill_sparsify, coder, weights)
    refused(
        "ae",
        "has d_in 8 and d_sae 32",
        fill_dictionary_learning,
        dictionary.AutoEncoder(8, 32),
        weights,
    )


def test_a_model_of_another_kind_is_refused_naming_it(weights):
    sae_lens = pytest.importorskip("sae_lens")
    sparsify = pytest.importorskip("sparsify")
    dictionary = pytest.importorskip("dictionary_learning.dictionary")
    linear = torch.nn.Linear(16, 32)
    refused("sae", "expected a sae_lens SAE, got Linear", fill_saelens, linear, weights)
    refused("coder", "expected a sparsify SparseCoder", fill_sparsify, linear, weights)
    refused("ae", "expected a dictionary_learning", fill_dictionary_learning, linear, weights)
    gated = sae_lens.GatedSAE(sae_lens.GatedSAEConfig(d_in=16, d_sae=32))
    refused("sae", "GatedSAE has no single encoder bias", fill_saelens, gated, weights)
    config = sparsify.SparseCoderConfig(num_latents=32, k=K, transcode=True)
    refused("coder", "is a transcoder", fill_sparsify, sparsify.SparseCoder(16, config), weights)
    gated_ae = dictionary.GatedAutoEncoder(16, 32)
    refused("ae", "not laid out as AutoEncoder", fill_dictionary_learning, gated_ae, weights)
