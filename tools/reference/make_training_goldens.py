#!/usr/bin/env python3
"""Golden training steps for the Swift gradient tests (Tests/TrainingTests/FrameworkGradientTests).

For each architecture this builds the reference model (Keras 3 for small_cnn and mobilenetv2,
torchvision for inceptionv3 and vgg16), fills it with the formula weights of
make_model_goldens.py (same generator, same amplitudes), runs ONE training-mode forward and
backward pass on a fixed batch of 2 formula images with fixed labels, and writes
Tests/TrainingTests/Fixtures/<arch>.json with the loss and the gradient of every trainable
parameter.  The Swift test rebuilds the same weights and input from the recorded formula
parameters, so no weights are stored.

What "training mode" means here, identically on both sides:
  * batch normalisation normalises with the batch's own statistics (biased variance) and the
    gradient flows through them (Keras `training=True`, torch `model.train()`);
  * dropout is ON, with ECGLens's own masks: the script replays ECGLens's generator
    (SplitMix64 seeded with `dropout_seed`, one draw per element, row-major, dropout layers in
    forward order; keep where float32((z >> 40) * 2^-24) < float32(1 - rate), kept values
    scaled by float32(1 / (1 - rate))) and multiplies the dropout layer's input by that mask
    instead of calling the framework's dropout (whose random numbers ECGLens cannot reproduce);
  * loss = mean over the batch of softmax cross-entropy of the logits (Keras models: the
    logits are dense_1's pre-softmax output, computed from dense_1's own variables), plus
    0.4 x the auxiliary head's mean cross-entropy for InceptionV3 (torchvision's training
    recipe), no class weights: exactly `TrainableNetwork.trainingStep(classWeights: nil,
    auxiliaryLossWeight: 0.4)`.

Gradients are stored per trainable parameter, in the framework's layout (which is ECGLens's):
its L2 norm (float64 over the float32 values) and the values at 16 flat indices
round(k * (n - 1) / 15), k = 0..15, and every value of each tensor of up to FULL_LIMIT values.

Usage (from the repo root, in the reference venv; see tools/reference/README.md):
    python tools/reference/make_training_goldens.py [--only ARCH] [--out-dir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "Tests", "TrainingTests", "Fixtures")
sys.path.insert(0, HERE)

from make_model_goldens import (GENERATOR, build_specs, dumps, f32, formula_input,  # noqa: E402
                                formula_tensor, load_scales, versions_keras, versions_torch)

BATCH = 2
LABELS = [1, 3]
DROPOUT_SEED = 7
AUXILIARY_LOSS_WEIGHT = 0.4
SAMPLES = 16
# Input sides. Small where the architecture allows, but large enough for the backward kernels'
# tiled branch (Kernels/ConvBackward.swift: tiles of 2^20 / patch-size output pixels; the
# small CNN's first convolution at its own 299 px has 89,401 pixels per image for tiles of
# 38,836, and its softmax is not saturated there, unlike at 160-200 px) and, with the batch
# of 2, their threaded one. MobileNetV2 ends at 2x2 rather than 1x1, so its last batch norm
# still sees several values per channel; InceptionV3's auxiliary head, which training always
# runs, needs Mixed_6e at 17x17, i.e. 299 (its Conv2d_2a/2b tile too).
SIZES = {"small_cnn": 299, "mobilenetv2": 64, "vgg16": 32, "inceptionv3": 299}
FULL_LIMIT = 50_000    # the small CNN's tensors up to this many values have every gradient value stored
ARCHS = tuple(SIZES)
MASK64 = (1 << 64) - 1


class SplitMix64:
    """ECGLens's `Determinism.SplitMix64` (state += golden gamma, then the mix)."""

    def __init__(self, seed: int):
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def dropout_mask(generator: SplitMix64, shape, rate: float) -> np.ndarray:
    """The mask `Tape.dropout` draws: keep with probability 1 - rate, scaled by 1 / (1 - rate)."""
    keep = np.float32(1) - np.float32(rate)
    n = int(np.prod(shape))
    u = np.array([np.float32(generator.next() >> 40) * np.float32(2.0 ** -24) for _ in range(n)], dtype=np.float32)
    return np.where(u < keep, np.float32(1) / keep, np.float32(0)).astype(np.float32).reshape(shape)


def sample_indices(n: int) -> list[int]:
    return [int(round(k * (n - 1) / (SAMPLES - 1))) for k in range(SAMPLES)]


def gradient_record(name: str, exact: np.ndarray, single: np.ndarray, full: bool) -> dict:
    """The float64 gradient's norm, largest magnitude and sampled values (all values if `full`),
    and how far the framework's own float32 gradient is from it (L2 and max |difference|)."""
    g = np.asarray(exact, dtype=np.float64).reshape(-1)
    e = np.asarray(single, dtype=np.float64).reshape(-1) - g
    indices = sample_indices(g.size)
    record = {
        "name": name,
        "shape": [int(s) for s in np.shape(exact)],
        "norm": float(np.linalg.norm(g)),
        "max_abs": float(np.abs(g).max()),
        "float32_error_norm": float(np.linalg.norm(e)),
        "float32_error_max": float(np.abs(e).max()),
        "indices": indices,
        "values": [float(g[i]) for i in indices],
    }
    if full:
        record["all"] = [float(v) for v in g]
    return record


def cross_entropy_np(logits: np.ndarray, labels) -> float:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(logp[np.arange(len(labels)), labels]))


# --------------------------------------------------------------------------
# Keras (small_cnn, mobilenetv2)
# --------------------------------------------------------------------------

KERAS_KIND = {"kernel": "weight", "depthwise_kernel": "weight", "bias": "bias", "gamma": "gamma",
              "beta": "beta", "moving_mean": "mean", "moving_variance": "variance"}


def keras_step(arch: str, size: int, dtype: str):
    import keras
    import tensorflow as tf
    from keras import layers
    from app_models import keras_model
    keras.config.set_floatx(dtype)          # every variable and computation in `dtype`
    keras.config.set_dtype_policy(dtype)
    try:
        model = keras_model(arch, input_size=size)
    finally:
        keras.config.set_floatx("float32")
        keras.config.set_dtype_policy("float32")
    assert all(v.dtype == dtype for v in model.weights), {v.dtype for v in model.weights}
    entries = []
    for v in model.weights:
        shape = tuple(int(s) for s in v.shape)
        leaf = v.path.rsplit("/", 1)[-1]
        kind = KERAS_KIND[leaf]
        fan_in = None
        if kind == "weight":
            layer = model.get_layer(v.path.split("/")[-2])
            fan_in = shape[0] * shape[1] if isinstance(layer, layers.DepthwiseConv2D) else int(np.prod(shape[:-1]))
        entries.append((v.path, shape, kind, fan_in))
    specs = build_specs(entries, arch)
    for v, s in zip(model.weights, specs):
        v.assign(formula_tensor(tuple(s["shape"]), s["offset"], s["amplitude"], s["seed"]))

    x = formula_input(BATCH, size, size, 3).astype(dtype)
    dropout = model.get_layer("dropout")
    dense_1 = model.get_layer("dense_1")
    features = keras.Model(model.inputs, dropout.input)          # up to the dropout's input
    mask = dropout_mask(SplitMix64(DROPOUT_SEED), (BATCH, int(dropout.input.shape[-1])), float(dropout.rate))
    labels = tf.constant(LABELS)
    trainable = model.trainable_weights
    with tf.GradientTape() as tape:
        h = features(x, training=True)
        h = h * tf.cast(mask, h.dtype)
        logits = tf.matmul(h, dense_1.kernel) + dense_1.bias   # dense_1 without its softmax
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    grads = tape.gradient(loss, trainable)
    # dense_1 itself (softmax of the same logits) agrees with the hand-written logits.
    probs = np.asarray(dense_1(h))
    assert np.allclose(probs, tf.nn.softmax(logits).numpy(), atol=1e-6)
    names = [v.path for v in trainable]
    return dict(framework=versions_keras(), specs=specs, ignored=[], loss=float(loss.numpy()),
                logits=np.asarray(logits), gradients=list(zip(names, [np.asarray(g) for g in grads])),
                dropout=[{"layer": "dropout", "rate": float(dropout.rate), "shape": list(mask.shape)}])


# --------------------------------------------------------------------------
# torchvision (inceptionv3, vgg16)
# --------------------------------------------------------------------------

def torch_step(arch: str, size: int, dtype: str):
    import torch
    import torch.nn as nn
    from app_models import torchvision_model

    class Mask(nn.Module):
        """Multiplies by a fixed mask: a dropout whose random draws are ECGLens's."""

        def __init__(self, rate: float, generator: SplitMix64):
            super().__init__()
            self.rate, self.generator = rate, generator

        def forward(self, x):
            mask = dropout_mask(self.generator, tuple(x.shape), self.rate)
            return x * torch.from_numpy(mask).to(x.dtype)

    model = torchvision_model(arch)
    modules = dict(model.named_modules())
    state = model.state_dict()
    entries, ignored = [], []
    for name, t in state.items():
        if name.endswith("num_batches_tracked"):
            ignored.append(name)
            continue
        mod_name, leaf = name.rsplit(".", 1)
        mod = modules[mod_name]
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            kind = {"weight": "gamma", "bias": "beta", "running_mean": "mean", "running_var": "variance"}[leaf]
        else:
            kind = {"weight": "weight", "bias": "bias"}[leaf]
        shape = tuple(t.shape)
        entries.append((name, shape, kind, int(np.prod(shape[1:])) if kind == "weight" else None))
    specs = build_specs(entries, arch)
    with torch.no_grad():
        for s in specs:
            state[s["name"]].copy_(torch.from_numpy(formula_tensor(tuple(s["shape"]), s["offset"], s["amplitude"], s["seed"])))

    # Dropouts in forward order, replaced by ECGLens's masks (one generator across them).
    generator = SplitMix64(DROPOUT_SEED)
    dropouts = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Dropout)]
    for n, m in dropouts:
        parent, _, leaf = n.rpartition(".")
        setattr(modules[parent] if parent else model, leaf, Mask(m.p, generator))
    model.train()
    model.to(getattr(torch, dtype))
    x_nhwc = formula_input(BATCH, size, size, 3).astype(dtype)
    x = torch.from_numpy(np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)))
    labels = torch.tensor(LABELS)
    out = model(x)
    ce = nn.functional.cross_entropy
    if arch == "inceptionv3":
        logits = out.logits
        loss = ce(logits, labels) + AUXILIARY_LOSS_WEIGHT * ce(out.aux_logits, labels)
    else:
        logits = out
        loss = ce(logits, labels)
    model.zero_grad()
    loss.backward()
    named = [(n, p.grad.detach().numpy()) for n, p in model.named_parameters()]
    return dict(framework=versions_torch(), specs=specs, ignored=ignored, loss=float(loss.item()),
                logits=logits.detach().numpy(), gradients=named,
                dropout=[{"layer": n, "rate": float(m.p)} for n, m in dropouts])


# --------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=ARCHS, action="append", help="architecture(s) to generate")
    ap.add_argument("--out-dir", default=DEFAULT_OUT)
    ap.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    load_scales()
    for arch in args.only or ARCHS:
        size = SIZES[arch]
        step = keras_step if arch in ("small_cnn", "mobilenetv2") else torch_step
        r = step(arch, size, "float64")       # the golden: the exact answer for these weights
        r32 = step(arch, size, "float32")     # the framework's own float32 step, for the tolerances
        assert [n for n, _ in r["gradients"]] == [n for n, _ in r32["gradients"]]
        check = cross_entropy_np(r["logits"], LABELS)
        probs = np.exp(r["logits"] - r["logits"].max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        print(f"[{arch}] {size}px loss={r['loss']:.8f} float32 {r32['loss']:.8f} (main-head CE {check:.6f}) "
              f"max prob per image={probs.max(1).round(3).tolist()}")
        gradients = [gradient_record(n, g, g32, arch == "small_cnn" and np.size(g) <= FULL_LIMIT)
                     for (n, g), (_, g32) in zip(r["gradients"], r32["gradients"])]
        rel = [g["float32_error_norm"] / g["norm"] for g in gradients if g["norm"] > 0]
        print(f"    framework float32 vs float64, |error|/|gradient| per tensor: median {np.median(rel):.2e}, "
              f"max {max(rel):.2e}")
        for g in gradients:
            if g["norm"] == 0:
                print(f"    note: zero gradient for {g['name']}")
        doc = {
            "architecture": arch,
            "framework": r["framework"],
            "input": {"batch": BATCH, "height": size, "width": size, "channels": 3},
            "labels": LABELS,
            "dropout_seed": DROPOUT_SEED,
            "dropout": r["dropout"],
            "auxiliary_loss_weight": AUXILIARY_LOSS_WEIGHT if arch == "inceptionv3" else 0.0,
            "generator": GENERATOR,
            "loss": r["loss"],
            "float32_loss": r32["loss"],
            "logits": [[float(v) for v in row] for row in r["logits"]],
            "parameters": r["specs"],
            "ignored": r["ignored"],
            "gradients": gradients,
        }
        text = dumps(doc, lists=("parameters", "gradients"), tables=())
        json.loads(text)
        if not args.dry_run:
            os.makedirs(args.out_dir, exist_ok=True)
            path = os.path.join(args.out_dir, f"{arch}.json")
            with open(path, "w") as f:
                f.write(text)
            print(f"    wrote {os.path.relpath(path, REPO)} ({len(text) / 1024:.1f} KiB, {len(gradients)} gradients)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
