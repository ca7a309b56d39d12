#!/usr/bin/env python3
"""Real Keras and PyTorch files, and the frameworks' own outputs, for Tests/ImportTests.

Each file is written by the framework itself (Keras 3 `model.save`, `save_weights`, the legacy
`.h5` writer; `torch.save` of a state_dict and of a whole model) for the original app's
architectures (tools/reference/app_models.py), and each golden is the framework's prediction on
samples/synthetic-ecg-page.png, preprocessed as ECGLens does (Pillow bicubic resize, float32
arithmetic). Committed fixtures stay small:

- small_cnn is the app's network at a 64-pixel input (the dense layer's width follows the
  input size; everything else is the real architecture): 150 KB per Keras file.
- vgg16 and inceptionv3 keep every real shape, but every parameter is a strided view into one
  shared storage of a few hundred thousand floats (`as_strided`), which torch.save writes once:
  about 1 MB per file instead of 528 and 100 MB. The views have real offsets and non-contiguous
  strides, so the reader's view rebuilding is exercised too. The InceptionV3 file is a whole
  pickled model saved in float16, as `torch.save(model)` after `model.half()` would store it.
- mobilenetv2 (9 MB) is not committed: it is written to .build/import-fixtures/ and its test runs
  when the file is there (run this script first).

Usage (from the repo root):  /work/venv/bin/python tools/reference/make_import_fixtures.py
"""
from __future__ import annotations

import json
import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
FIXTURES = os.path.join(REPO, "Tests", "ImportTests", "Fixtures")
LARGE = os.path.join(REPO, ".build", "import-fixtures")
IMAGE = os.path.join(REPO, "samples", "synthetic-ecg-page.png")

MEANS = {"rescale": (0.0, 0.0, 0.0), "imagenet": (0.485, 0.456, 0.406), "standard": (0.5, 0.5, 0.5)}
STDS = {"rescale": (1.0, 1.0, 1.0), "imagenet": (0.229, 0.224, 0.225), "standard": (0.5, 0.5, 0.5)}


def image_input(size: int, preprocessing: str) -> np.ndarray:
    """1 x size x size x 3 float32, as ECGLens's ImageIO computes it."""
    img = Image.open(IMAGE).convert("RGB").resize((size, size), Image.BICUBIC)
    x = np.asarray(img).astype(np.float32) / np.float32(255)
    x = (x - np.array(MEANS[preprocessing], np.float32)) / np.array(STDS[preprocessing], np.float32)
    return x[None].astype(np.float32)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------------- Keras

def randomise_keras(model, seed: int) -> None:
    """Kernels keep Keras's own random init; biases and batch-norm statistics get random values too."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for v in layer.weights:
            name = v.path.split("/")[-1]
            shape = tuple(v.shape)
            if name == "bias" or name == "beta" or name == "moving_mean":
                v.assign(rng.uniform(-0.1, 0.1, shape).astype(np.float32))
            elif name == "gamma":
                v.assign(rng.uniform(0.8, 1.2, shape).astype(np.float32))
            elif name == "moving_variance":
                v.assign(rng.uniform(0.5, 1.5, shape).astype(np.float32))


def spread_keras(model, x) -> None:
    """Scales the last kernel so that the logits spread by about 2 (not a near-uniform softmax)."""
    logits = np.log(np.asarray(model(x, training=False))[0])
    kernel = model.layers[-1].kernel
    kernel.assign(np.asarray(kernel) * (2.0 / max(float(logits.std()), 1e-6)))


def keras_fixtures(goldens: dict) -> None:
    import keras
    from app_models import keras_model

    keras.utils.set_random_seed(1)
    # The app's small CNN, at a 64-pixel input.
    small = keras_model("small_cnn", input_size=64)
    randomise_keras(small, 2)
    x = image_input(64, "rescale")
    spread_keras(small, x)
    probabilities = np.asarray(small(x, training=False))[0]
    common = {"architecture": "small_cnn", "input_size": 64, "preprocessing": "rescale", "resize": "bicubic",
              "probabilities": [float(p) for p in probabilities]}
    small.save(os.path.join(FIXTURES, "small_cnn_64.keras"))
    small.save_weights(os.path.join(FIXTURES, "small_cnn_64.weights.h5"))
    small.save(os.path.join(FIXTURES, "small_cnn_64_legacy.h5"))  # Keras's legacy HDF5 writer
    # Legacy weights only, as Keras 2 wrote the ImageNet files (mobilenet_v2_weights_tf_dim_ordering_tf_kernels_*.h5).
    import h5py
    from keras.src.legacy.saving import legacy_h5_format
    with h5py.File(os.path.join(FIXTURES, "small_cnn_64_legacy_weights.h5"), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, small)
    # The convolutions as a nested model, as an app that wraps a backbone in Sequential saves it.
    features = keras.Sequential([keras.Input((64, 64, 3))] + small.layers[:4], name="features")
    nested = keras.Sequential([keras.Input((64, 64, 3)), features] + small.layers[4:], name="nested")
    assert np.allclose(np.asarray(nested(x, training=False))[0], probabilities, atol=1e-7)
    nested.save(os.path.join(FIXTURES, "small_cnn_64_nested.keras"))
    for name in ("small_cnn_64.keras", "small_cnn_64.weights.h5", "small_cnn_64_legacy.h5", "small_cnn_64_legacy_weights.h5",
                 "small_cnn_64_nested.keras"):
        goldens[name] = dict(common, committed=True)

    keras.utils.set_random_seed(3)
    mobile = keras_model("mobilenetv2")
    randomise_keras(mobile, 4)
    x = image_input(224, "rescale")
    spread_keras(mobile, x)
    probabilities = np.asarray(mobile(x, training=False))[0]
    mobile.save(os.path.join(LARGE, "mobilenetv2.keras"))
    goldens["mobilenetv2.keras"] = {"architecture": "mobilenetv2", "input_size": 224, "preprocessing": "rescale",
                                    "resize": "bicubic", "committed": False,
                                    "probabilities": [float(p) for p in probabilities]}


# -------------------------------------------------------------------------------------- PyTorch

def share_storage(model, seed: int, dtype, x, final) -> None:
    """Makes every parameter and float buffer a strided view of one storage (see the module doc);
    the `final` layer's weights get their own segment, scaled so that the logits on `x` spread by
    about 2."""
    import torch
    rng = np.random.default_rng(seed)
    tensors = []  # (module, kind, name, shape, low, high, segment key)
    for module in model.modules():
        for name, p in module._parameters.items():
            if p is None:
                continue
            if isinstance(module, torch.nn.BatchNorm2d):
                low, high = (0.8, 1.2) if name == "weight" else (-0.1, 0.1)
                key = f"bn_{name}"
            elif name == "bias":
                low, high, key = -0.05, 0.05, "bias"
            else:
                limit = math.sqrt(6.0 / (p[0].numel()))
                low, high, key = -limit, limit, "final" if module is final else f"w{p[0].numel()}"
            tensors.append((module, "_parameters", name, tuple(p.shape), low, high, key))
        for name, b in module._buffers.items():
            if b is None or not b.is_floating_point():
                continue
            low, high = (0.5, 1.5) if name == "running_var" else (-0.1, 0.1)
            tensors.append((module, "_buffers", name, tuple(b.shape), low, high, f"bn_{name}"))

    def strides_for(shape):
        """Stride 1 on the largest axis, then 3, 7, 11 on the others by decreasing size."""
        order = sorted(range(len(shape)), key=lambda a: -shape[a])
        strides = [0] * len(shape)
        for rank, axis in enumerate(order):
            strides[axis] = (1, 3, 7, 11)[rank]
        return strides

    segments = {}
    for _, _, _, shape, low, high, key in tensors:
        reach = 1 + sum((d - 1) * s for d, s in zip(shape, strides_for(shape)))
        lo, hi, need = segments.get(key, (low, high, 0))
        segments[key] = (lo, hi, max(need, reach + 64))
    starts, total = {}, 0
    for key, (_, _, need) in segments.items():
        starts[key] = total
        total += need
    storage = np.empty(total, np.float32)
    for key, (low, high, need) in segments.items():
        storage[starts[key]:starts[key] + need] = rng.uniform(low, high, need)
    base = torch.from_numpy(storage)
    views = [(module, kind, name, shape, strides_for(shape), starts[key] + int(rng.integers(0, 64)))
             for module, kind, name, shape, _, _, key in tensors]

    def install(storage_tensor):
        for module, kind, name, shape, strides, offset in views:
            view = storage_tensor.as_strided(shape, strides, offset)
            if kind == "_parameters":
                module._parameters[name] = torch.nn.Parameter(view, requires_grad=False)
            else:
                module._buffers[name] = view

    install(base)
    with torch.no_grad():
        logits = model(x)
    start, need = starts["final"], segments["final"][2]
    base[start:start + need] *= 2.0 / max(float(logits.std()), 1e-6)
    if dtype != torch.float32:
        install(base.to(dtype))
    print(f"  one shared storage of {total} floats for {len(tensors)} tensors", file=sys.stderr)


def torch_fixtures(goldens: dict) -> None:
    import torch
    from app_models import torchvision_model

    vgg = torchvision_model("vgg16")
    x = torch.from_numpy(image_input(224, "standard")).permute(0, 3, 1, 2)
    share_storage(vgg, 5, torch.float32, x, vgg.classifier[6])
    with torch.no_grad():
        probabilities = torch.softmax(vgg(x), -1)[0].numpy()
    torch.save(vgg.state_dict(), os.path.join(FIXTURES, "vgg16_state_dict.pth"))
    # The same weights in the legacy (before PyTorch 1.6) format of torchvision's ImageNet files.
    torch.save(vgg.state_dict(), os.path.join(FIXTURES, "vgg16_state_dict_legacy.pth"), _use_new_zipfile_serialization=False)
    for name in ("vgg16_state_dict.pth", "vgg16_state_dict_legacy.pth"):
        goldens[name] = {"architecture": "vgg16", "input_size": 224, "preprocessing": "standard",
                         "resize": "bicubic", "committed": True, "probabilities": [float(p) for p in probabilities]}

    # torchvision's own InceptionV3 (1000 classes, auxiliary head), saved like
    # inception_v3_google-0cc3c7bd.pth: a legacy-format state_dict whose heads do not fit the app's.
    from _torchvision_fix import torchvision
    imagenet = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False).eval()
    share_storage(imagenet, 7, torch.float32, x := torch.from_numpy(image_input(299, "imagenet")).permute(0, 3, 1, 2), imagenet.fc)
    state = imagenet.state_dict()
    torch.save(state, os.path.join(FIXTURES, "inceptionv3_imagenet_layout_legacy.pth"), _use_new_zipfile_serialization=False)
    checks = {name: {"sum": float(state[name].double().sum()), "first": [float(v) for v in state[name].flatten()[:3]]}
              for name in ("Conv2d_1a_3x3.conv.weight", "Mixed_7c.branch_pool.bn.running_var", "AuxLogits.conv1.conv.weight")}
    goldens["inceptionv3_imagenet_layout_legacy.pth"] = {
        "architecture": "inceptionv3", "input_size": 299, "preprocessing": "imagenet", "resize": "bicubic",
        "committed": True, "backbone_only": True, "checks": checks, "probabilities": []}

    inception = torchvision_model("inceptionv3")
    inception.transform_input = True  # as torchvision sets it with ImageNet weights, and the app kept it
    x = torch.from_numpy(image_input(299, "imagenet")).permute(0, 3, 1, 2)
    share_storage(inception, 6, torch.float16, x, inception.fc[3])
    path = os.path.join(FIXTURES, "inceptionv3_model_f16.pth")
    torch.save(inception, path)
    reloaded = torch.load(path, weights_only=False).float().eval()
    with torch.no_grad():
        probabilities = torch.softmax(reloaded(x), -1)[0].numpy()
    goldens["inceptionv3_model_f16.pth"] = {"architecture": "inceptionv3", "input_size": 299, "preprocessing": "imagenet",
                                            "resize": "bicubic", "transform_input": True, "committed": True,
                                            "probabilities": [float(p) for p in probabilities]}


def main() -> None:
    os.makedirs(FIXTURES, exist_ok=True)
    os.makedirs(LARGE, exist_ok=True)
    goldens: dict = {}
    keras_fixtures(goldens)
    torch_fixtures(goldens)
    with open(os.path.join(FIXTURES, "goldens.json"), "w") as f:
        json.dump({"image": "samples/synthetic-ecg-page.png", "files": goldens}, f, indent=1, sort_keys=True)
    for name, g in sorted(goldens.items()):
        where = FIXTURES if g["committed"] else LARGE
        size = os.path.getsize(os.path.join(where, name))
        print(f"{name:32s} {size / 1e6:6.2f} MB  {np.round(g['probabilities'], 4)}")


if __name__ == "__main__":
    main()
