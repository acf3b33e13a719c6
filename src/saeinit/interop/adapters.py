"""Adapters that fill another library's SAE, in place, with `InitialWeights`.

Build the SAE with that library as usual (its own config: sparsity, k, ...), then overwrite its
initial weights with saeinit's; its trainer takes it from there. Each adapter imports its
library only when called, checks the model's shape against the weights, and returns the model.
"""

from __future__ import annotations

import importlib

import torch
from torch import nn

from saeinit.config import ConfigError
from saeinit.interop.weights import (
    InitialWeights,
    assign,
    check_weights,
    check_width,
    encoder_bias,
)


def fill_saelens(sae, weights: InitialWeights, threshold: torch.Tensor | None = None):
    """A SAELens SAE (inference or training; standard, topk, batchtopk or jumprelu): W_enc,
    b_enc, W_dec and b_dec, with b_enc folded for an SAE whose cfg.apply_b_dec_to_input is
    False; a JumpReLU SAE's thresholds too where `threshold` [d_sae] is given (`jumprelu_start`
    gives them), else they keep their values."""
    SAE = _library("sae_lens", "sae-lens", "sae").SAE
    _require(sae, SAE, "sae", "a sae_lens SAE")
    check_weights(weights)
    if not isinstance(getattr(sae, "b_enc", None), nn.Parameter):
        raise ConfigError(
            "sae",
            f"a {type(sae).__name__} has no single encoder bias b_enc; fill a standard, "
            "topk, batchtopk or jumprelu SAE",
        )
    check_width(weights, sae.cfg.d_in, sae.cfg.d_sae, "sae")
    if threshold is not None:
        if not isinstance(getattr(sae, "threshold", None), nn.Parameter):
            raise ConfigError(
                "threshold", f"is for a jumprelu SAE; a {type(sae).__name__} has no thresholds"
            )
        if threshold.shape != (weights.d_sae,):
            raise ConfigError(
                "threshold", f"has shape {tuple(threshold.shape)}, not ({weights.d_sae},)"
            )
        assign(sae.threshold, threshold)
    assign(sae.W_enc, weights.W_enc)
    assign(sae.b_enc, encoder_bias(weights, sae.cfg.apply_b_dec_to_input))
    assign(sae.W_dec, weights.W_dec)
    assign(sae.b_dec, weights.b_dec)
    return sae


def fill_sparsify(coder, weights: InitialWeights):
    """An EleutherAI sparsify SparseCoder (a TopK SAE that subtracts b_dec from its input):
    encoder.weight [d_sae, d_in] (W_enc transposed), encoder.bias, W_dec and b_dec."""
    SparseCoder = _library("sparsify", "eai-sparsify", "coder").SparseCoder
    _require(coder, SparseCoder, "coder", "a sparsify SparseCoder")
    check_weights(weights)
    if coder.cfg.transcode:
        raise ConfigError(
            "coder", "is a transcoder (it predicts another site); fill a sparse autoencoder"
        )
    if coder.W_dec is None:
        raise ConfigError("coder", "was built without a decoder (decoder=False); build one")
    check_width(weights, coder.d_in, coder.num_latents, "coder")
    assign(coder.encoder.weight, weights.W_enc.T)
    assign(coder.encoder.bias, weights.b_enc)
    assign(coder.W_dec, weights.W_dec)
    assign(coder.b_dec, weights.b_dec)
    return coder


def fill_dictionary_learning(ae, weights: InitialWeights):
    """A dictionary_learning AutoEncoder (or AutoEncoderTopK, BatchTopKSAE): encoder, an
    nn.Linear(d_in, d_sae) whose weight is W_enc transposed; decoder, an nn.Linear(d_sae, d_in)
    without bias whose weight is W_dec transposed; and the bias subtracted from the input and
    added to the output, b_dec (named `bias` in AutoEncoder, `b_dec` in the TopK ones)."""
    Dictionary = _library("dictionary_learning.dictionary", "dictionary-learning", "ae").Dictionary
    _require(ae, Dictionary, "ae", "a dictionary_learning dictionary")
    check_weights(weights)
    encoder, decoder = getattr(ae, "encoder", None), getattr(ae, "decoder", None)
    b_dec = getattr(ae, "bias", getattr(ae, "b_dec", None))
    linear = isinstance(encoder, nn.Linear) and isinstance(decoder, nn.Linear)
    if not linear or decoder.bias is not None or not isinstance(b_dec, nn.Parameter):
        raise ConfigError(
            "ae",
            f"a {type(ae).__name__} is not laid out as AutoEncoder (encoder and bias-free "
            "decoder nn.Linear, a bias or b_dec); fill an AutoEncoder, AutoEncoderTopK or "
            "BatchTopKSAE",
        )
    check_width(weights, ae.activation_dim, ae.dict_size, "ae")
    assign(encoder.weight, weights.W_enc.T)
    assign(encoder.bias, weights.b_enc)
    assign(decoder.weight, weights.W_dec.T)
    assign(b_dec, weights.b_dec)
    return ae


def _library(module: str, package: str, argument: str):
    """The library's module, imported now; a ConfigError naming `argument` (the model it
    would fill) and the package to install when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ConfigError(
            argument, f"filling it needs {module.split('.')[0]}: pip install {package}"
        ) from err


def _require(model, cls: type, argument: str, what: str) -> None:
    if not isinstance(model, cls):
        raise ConfigError(argument, f"expected {what}, got {type(model).__name__}")
