#!/usr/bin/env python3
"""Golden outputs for the Swift model parity tests (Tests/ModelTests).

For each architecture this builds the reference model (Keras 3 or
torchvision), fills every parameter/variable from a closed-form formula,
runs a closed-form input through it and writes a small JSON file
Tests/ModelTests/Fixtures/<arch>.json.  The Swift test rebuilds the same
weights and input from the formula parameters recorded in the JSON, so no
raw weights are stored.

Weight formula (tensor j = 0-based position in the framework's own parameter
order, element i = flat row-major index in the framework's own layout):

    z     = splitmix64((j << 40) + i)        # one SplitMix64 step, UInt64 wrap-around
    u     = (z >> 40) / 2**24 * 2 - 1        # uniform in [-1, 1), exact in float64
    value = float32(offset_j + amplitude_j * u)

(splitmix64(s): s += 0x9E3779B97F4A7C15; s = (s ^ s>>30) * 0xBF58476D1CE4E5B9;
s = (s ^ s>>27) * 0x94D049BB133111EB; return s ^ s>>31.) Pseudo-random weights
behave like a real random initialisation: smooth closed forms such as
sin(phase + f*i) make near-degenerate weights that, scaled up to a useful
activation size, turn the network chaotic (float32 and float64 runs of the
same framework then differ by 1e-2), and no float32 implementation could
match the golden to 1e-4.
offset/amplitude are recorded as exact float64 values (Python repr),
so they must be parsed as Double.

Input formula (preprocessed model input, batch 2, per coordinate so that the
NCHW and NHWC layouts agree):

    x[b, h, w, c] = float32(sin(0.05*h + 0.03*w + 2.0*c + 1.0*b + 0.001*h*w))

Usage (from the repo root):
    /work/venv/bin/python tools/reference/make_model_goldens.py [--only ARCH] [--out-dir DIR]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "Tests", "ModelTests", "Fixtures")

GENERATOR = "splitmix64"
NUM_CLASSES = 4
BATCH = 2

ARCHS = ("small_cnn", "mobilenetv2", "inceptionv3", "vgg16")

# Per-architecture amplitude multipliers, applied on top of the default
# amplitude of the named kernel (exact tensor name as listed in the JSON).
# The raw formula weights are rank-2 plane waves, whose response to a smooth
# input is far below the He-init scale, so activations would shrink layer by
# layer; `--calibrate` picks a multiplier per conv/dense kernel (execution
# order, two significant digits) so each layer's output RMS is ~1 and the
# logits have a moderate spread (softmax neither saturated nor flat), and
# stores them in SCALES_FILE.  Normal runs only read that file, so the goldens
# are reproducible.  The resulting amplitudes are written into each JSON.
SCALES_FILE = os.path.join(HERE, "model_golden_scales.json")
AMPLITUDE_SCALE: dict[str, dict[str, float]] = {}


def load_scales() -> None:
    AMPLITUDE_SCALE.clear()
    if os.path.exists(SCALES_FILE):
        with open(SCALES_FILE) as f:
            AMPLITUDE_SCALE.update(json.load(f))


def save_scales() -> None:
    with open(SCALES_FILE, "w") as f:
        json.dump(AMPLITUDE_SCALE, f, indent=1)
        f.write("\n")


# --------------------------------------------------------------------------
# Formula helpers
# --------------------------------------------------------------------------

def splitmix_uniform(seed: int, start: int, count: int) -> np.ndarray:
    """u in [-1, 1) for elements start..<start+count of tensor `seed` (see module doc)."""
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) << np.uint64(40)) + np.arange(start, start + count, dtype=np.uint64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) * (2.0 / (1 << 24)) - 1.0


def formula_tensor(shape, offset: float, amplitude: float, seed: int) -> np.ndarray:
    """float32(offset + amplitude * u(seed, i)), i row-major."""
    n = int(np.prod(shape)) if len(shape) else 1
    out = np.empty(n, dtype=np.float32)
    chunk = 1 << 22  # bounded temporaries for the big VGG matrices
    for start in range(0, n, chunk):
        count = min(n, start + chunk) - start
        out[start:start + count] = (offset + amplitude * splitmix_uniform(seed, start, count)).astype(np.float32)
    return out.reshape(shape)


def formula_input(batch: int, height: int, width: int, channels: int) -> np.ndarray:
    """NHWC float32 input."""
    b = np.arange(batch, dtype=np.float64)[:, None, None, None]
    h = np.arange(height, dtype=np.float64)[None, :, None, None]
    w = np.arange(width, dtype=np.float64)[None, None, :, None]
    c = np.arange(channels, dtype=np.float64)[None, None, None, :]
    x = np.sin(0.05 * h + 0.03 * w + 2.0 * c + 1.0 * b + 0.001 * h * w)
    return x.astype(np.float32)


def default_spec(kind: str, shape, fan_in: int | None) -> tuple[float, float]:
    """(offset, amplitude) by tensor kind."""
    if kind == "weight":
        return 0.0, math.sqrt(6.0 / fan_in)   # He-uniform
    if kind == "bias":
        return 0.0, 0.05
    if kind == "gamma":
        return 1.0, 0.1
    if kind == "beta":
        return 0.0, 0.1
    if kind == "mean":
        return 0.0, 0.1
    if kind == "variance":
        return 1.0, 0.5
    raise ValueError(kind)


def f32(v) -> float:
    """Exact float64 value of a float32 number (repr round-trips exactly)."""
    return float(np.float32(v))


def stage_record(arr: np.ndarray, layout: str) -> dict:
    a = np.asarray(arr, dtype=np.float32)
    a64 = a.astype(np.float64)
    bdiff = np.linalg.norm(a64[0] - a64[1]) / max(np.linalg.norm(a64[0]), 1e-30)
    return {
        "_bdiff": float(bdiff),
        "shape": list(a.shape),
        "layout": layout,
        "mean": f32(a64.mean()),
        "std": f32(a64.std()),
        "first": [f32(v) for v in a.reshape(-1)[:8]],
        # Extra: 8 values at flat indices round(k * (n - 1) / 7), k = 0..7
        # (the first 8 are often all zero after a ReLU at the image corner).
        "sample": [f32(v) for v in a.reshape(-1)[sample_indices(a.size)]],
    }


def sample_indices(n: int) -> list[int]:
    return [int(round(k * (n - 1) / 7)) for k in range(8)]


def softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def build_specs(entries, arch: str) -> list[dict]:
    """entries: list of (name, shape, kind, fan_in) in framework order."""
    scales = AMPLITUDE_SCALE.get(arch, {})
    unknown = set(scales) - {e[0] for e in entries}
    if unknown:
        raise KeyError(f"{arch}: amplitude overrides for unknown tensors {sorted(unknown)}")
    specs = []
    for j, (name, shape, kind, fan_in) in enumerate(entries):
        offset, amplitude = default_spec(kind, shape, fan_in)
        amplitude *= scales.get(name, 1.0)
        specs.append({
            "name": name,
            "shape": [int(s) for s in shape],
            "offset": float(offset),
            "amplitude": float(amplitude),
            "seed": j,
            "_kind": kind,
        })
    return specs


def versions_torch() -> str:
    import torch
    from _torchvision_fix import torchvision
    return f"torch {torch.__version__.split('+')[0]} / torchvision {torchvision.__version__.split('+')[0]}"


def versions_keras() -> str:
    import keras
    import tensorflow as tf
    return f"keras {keras.__version__} / tensorflow {tf.__version__}"


def print_diag(arch: str, stages: dict, outputs: dict) -> None:
    print(f"[{arch}] stages (bdiff = |x[0]-x[1]| / |x[0]|, input sensitivity):")
    for k, v in stages.items():
        print(f"    {k:40s} shape={v['shape']} mean={v['mean']:+.4g} std={v['std']:.4g} "
              f"bdiff={v.pop('_bdiff'):.3g}")
    for k, v in outputs.items():
        rows = ["[" + ", ".join(f"{x:.4f}" for x in r) + "]" for r in v]
        print(f"    {k:28s} " + " ".join(rows))


# --------------------------------------------------------------------------
# Framework adapters
#
# Each adapter exposes:
#   entries            [(name, shape, kind, fan_in)] in framework order
#   weight_layers      {weight tensor name: layer/module name} for conv/dense kernels
#   calibration_order  weight tensor names in execution order
#   last_weight        name of the classifier's final weight
#   apply(specs)       fill every tensor from the formula
#   layer_outputs(names) -> {name: np.ndarray} (kernel-layer outputs, fused
#                      activation included for Keras), plus "__logits__"
#   run()              -> (stages, outputs) for the golden file
# --------------------------------------------------------------------------

class KerasAdapter:
    STAGES = {
        "small_cnn": ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "dense"],
        "mobilenetv2": ["Conv1_relu", "expanded_conv_project_BN", "block_3_expand_relu",
                        "block_5_add", "block_12_add", "block_16_project_BN", "out_relu",
                        "global_average_pooling2d", "dense"],
    }
    LEAF_KIND = {"kernel": "weight", "depthwise_kernel": "weight", "bias": "bias",
                 "gamma": "gamma", "beta": "beta", "moving_mean": "mean",
                 "moving_variance": "variance"}

    def __init__(self, arch: str):
        import keras
        from keras import layers
        self.keras = keras
        self.arch = arch
        from app_models import keras_model
        self.model = keras_model(arch)
        self.size = (299, 299) if arch == "small_cnn" else (224, 224)
        self.framework = versions_keras()
        self.entries, self.weight_layers = [], {}
        for v in self.model.weights:
            shape = tuple(int(s) for s in v.shape)
            leaf = v.path.rsplit("/", 1)[-1]
            layer_name = v.path.split("/")[-2]
            kind = self.LEAF_KIND[leaf]
            fan_in = None
            if kind == "weight":
                layer = self.model.get_layer(layer_name)
                if isinstance(layer, layers.DepthwiseConv2D):
                    fan_in = shape[0] * shape[1]          # [kh, kw, in, 1]
                else:
                    fan_in = int(np.prod(shape[:-1]))     # [kh, kw, in, out] / [in, out]
                self.weight_layers[v.path] = layer_name
            self.entries.append((v.path, shape, kind, fan_in))
        names = [e[0] for e in self.entries]
        assert len(set(names)) == len(names), "duplicate variable paths"
        self.calibration_order = list(self.weight_layers)   # model.weights is topological
        self.last_weight = self.calibration_order[-1]
        self.ignored = []
        self.parameter_count = int(self.model.count_params())
        self.x = formula_input(BATCH, *self.size, 3)
        self._probes = {}

    def apply(self, specs, only=None):
        for v, s in zip(self.model.weights, specs):
            assert v.path == s["name"]
            if only is not None and s["name"] not in only:
                continue
            v.assign(formula_tensor(tuple(s["shape"]), s["offset"], s["amplitude"], s["seed"]))

    def _probe(self, names):
        key = tuple(names)
        if key not in self._probes:
            self._probes[key] = self.keras.Model(
                self.model.inputs, [self.model.get_layer(n).output for n in names])
        return self._probes[key]

    def _logits(self, penultimate):
        w, b = self.model.get_layer("dense_1").get_weights()
        return penultimate.astype(np.float64) @ w.astype(np.float64) + b.astype(np.float64)

    def layer_outputs(self, names):
        names = list(names)
        want = [n for n in names if n != "dense_1"] + ["dropout"]
        outs = self._probe(want)([self.x], training=False)
        if not isinstance(outs, (list, tuple)):
            outs = [outs]
        res = {n: np.asarray(o) for n, o in zip(want, outs)}
        res["__logits__"] = self._logits(res["dropout"])
        return res

    def run(self):
        names = self.STAGES[self.arch]
        outs = self._probe(names + ["dropout", "dense_1"])([self.x], training=False)
        outs = [np.asarray(o) for o in outs]
        probs = outs[-1]
        direct = np.asarray(self.model([self.x], training=False))
        assert np.array_equal(direct, probs), np.abs(direct - probs).max()
        stages = {"input": stage_record(self.x, "NHWC")}
        for n, o in zip(names, outs):
            stages[n] = stage_record(o, "NHWC" if o.ndim == 4 else "NC")
        outputs = {"probabilities": rows(probs)}
        diag = {"logits (diagnostic, f64 from dropout output)": self._logits(outs[-2]).tolist()}
        return stages, outputs, diag


class TorchAdapter:
    STAGES = {
        "inceptionv3": ["Conv2d_1a_3x3", "Conv2d_2b_3x3", "maxpool2", "Mixed_5b", "Mixed_5d",
                        "Mixed_6a", "Mixed_6e", "Mixed_7a", "Mixed_7c", "avgpool", "fc.1"],
        "vgg16": ["features.1", "features.4", "features.9", "features.16", "features.23",
                  "features.30", "avgpool", "classifier.1", "classifier.4"],
    }

    def __init__(self, arch: str):
        import torch
        import torch.nn as nn
        from _torchvision_fix import torchvision
        self.torch = torch
        self.arch = arch
        from app_models import torchvision_model
        m = torchvision_model(arch)
        self.size = (299, 299) if arch == "inceptionv3" else (224, 224)
        self.last_weight = "fc.3.weight" if arch == "inceptionv3" else "classifier.6.weight"
        self.model = m.eval()
        self.framework = versions_torch()
        self.modules = dict(m.named_modules())
        self.state = m.state_dict()
        self.entries, self.ignored, self.weight_layers = [], [], {}
        for name, t in self.state.items():
            if name.endswith("num_batches_tracked"):
                self.ignored.append(name)
                continue
            mod_name, leaf = name.rsplit(".", 1)
            mod = self.modules[mod_name]
            shape = tuple(t.shape)
            if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                kind = {"weight": "gamma", "bias": "beta", "running_mean": "mean",
                        "running_var": "variance"}[leaf]
            else:
                kind = {"weight": "weight", "bias": "bias"}[leaf]
            fan_in = int(np.prod(shape[1:])) if kind == "weight" else None
            if kind == "weight":
                self.weight_layers[name] = mod_name
            self.entries.append((name, shape, kind, fan_in))
        self.parameter_count = int(sum(p.numel() for p in m.parameters()))
        self.x_nhwc = formula_input(BATCH, *self.size, 3)
        self.x = torch.from_numpy(np.ascontiguousarray(self.x_nhwc.transpose(0, 3, 1, 2)))
        # Execution order of the kernel layers (aux head last).
        order = []
        hooks = [self.modules[mn].register_forward_hook(lambda *_a, mn=mn: order.append(mn))
                 for mn in self.weight_layers.values()]
        self._forward()
        for h in hooks:
            h.remove()
        inv = {mn: wn for wn, mn in self.weight_layers.items()}
        self.calibration_order = [inv[mn] for mn in order]
        assert set(self.calibration_order) == set(self.weight_layers)

    def apply(self, specs, only=None):
        torch = self.torch
        with torch.no_grad():
            for s in specs:
                if only is not None and s["name"] not in only:
                    continue
                self.state[s["name"]].copy_(torch.from_numpy(
                    formula_tensor(tuple(s["shape"]), s["offset"], s["amplitude"], s["seed"])))

    def _forward(self, capture=(), transform_input=False):
        torch = self.torch
        captured = {}
        hooks = [self.modules[n].register_forward_hook(
            lambda m, i, o, n=n: captured.__setitem__(n, o.detach().clone())) for n in capture]
        try:
            with torch.no_grad():
                if self.arch == "inceptionv3":
                    self.model.transform_input = transform_input
                    hooks.append(self.modules["Mixed_6e"].register_forward_hook(
                        lambda m, i, o: captured.__setitem__("__mixed_6e__", o.detach().clone())))
                    logits = self.model(self.x)
                    # Aux head in eval mode, applied to the Mixed_6e output.
                    captured["__aux__"] = self.model.AuxLogits(captured.pop("__mixed_6e__"))
                else:
                    logits = self.model(self.x)
        finally:
            for h in hooks:
                h.remove()
            if self.arch == "inceptionv3":
                self.model.transform_input = False
        return logits, captured

    def layer_outputs(self, names):
        logits, cap = self._forward(capture=names)
        res = {n: cap[n].numpy() for n in names}
        res["__logits__"] = logits.numpy().astype(np.float64)
        if "__aux__" in cap:
            res["__aux__"] = cap["__aux__"].numpy().astype(np.float64)
        return res

    def run(self):
        torch = self.torch
        names = self.STAGES[self.arch]
        logits, cap = self._forward(capture=names)
        outputs = {"probabilities": rows(torch.softmax(logits, 1).numpy()),
                   "logits": rows(logits.numpy())}
        if self.arch == "inceptionv3":
            logits_t, _ = self._forward(transform_input=True)
            outputs["probabilities_transform_input"] = rows(torch.softmax(logits_t, 1).numpy())
            outputs["logits_transform_input"] = rows(logits_t.numpy())
            outputs["aux_logits"] = rows(cap["__aux__"].numpy())
        stages = {"input": stage_record(self.x.numpy(), "NCHW")}
        for n in names:
            o = cap[n].numpy()
            stages[n] = stage_record(o, "NCHW" if o.ndim == 4 else "NC")
        return stages, outputs, {}


def rows(a) -> list:
    return [[f32(v) for v in r] for r in np.asarray(a)]


# --------------------------------------------------------------------------
# Amplitude calibration (LSUV-like, one pass in execution order)
# --------------------------------------------------------------------------

LOGIT_TARGET_STD = 0.8   # std of the logits across the 4 classes
HIDDEN_TARGET_RMS = 1.0  # RMS of every conv / dense output


def round_sig(v: float, digits: int = 2) -> float:
    return float(f"{v:.{digits - 1}e}")


def calibrate(adapter, arch: str, passes: int = 2) -> dict[str, float]:
    """Multiplier per kernel so that each kernel layer's output RMS is ~1 and
    the final logits have a moderate spread.  Layers are visited in execution
    order; a second pass corrects layers whose output is dominated by the
    (unscaled) bias.  Multipliers are rounded to two significant digits; the
    result is stored in SCALES_FILE."""
    scales: dict[str, float] = {}
    AMPLITUDE_SCALE[arch] = scales
    adapter.apply(build_specs(adapter.entries, arch))
    for p in range(passes):
        for name in adapter.calibration_order:
            adapter.apply(build_specs(adapter.entries, arch), only={name})
            layer = adapter.weight_layers[name]
            is_aux_last = name == "AuxLogits.fc.weight"
            if name == adapter.last_weight or is_aux_last:
                out = adapter.layer_outputs([])
                z = out["__aux__" if is_aux_last else "__logits__"]
                z = z - z.mean(axis=1, keepdims=True)
                stat, target = float(np.sqrt((z ** 2).mean())), LOGIT_TARGET_STD
            else:
                o = adapter.layer_outputs([layer])[layer].astype(np.float64)
                stat, target = float(np.sqrt((o ** 2).mean())), HIDDEN_TARGET_RMS
            ratio = target / stat
            if p > 0 and 0.8 < ratio < 1.25:
                continue
            scales[name] = round_sig(scales.get(name, 1.0) * ratio)
            adapter.apply(build_specs(adapter.entries, arch), only={name})
            print(f"    calibrate[{p}] {name:45s} rms={stat:.4g} -> x{scales[name]}")
    return scales


# --------------------------------------------------------------------------
# JSON output (compact: one parameter / one stage per line)
# --------------------------------------------------------------------------

def dumps(doc: dict, lists=("parameters",), tables=("outputs", "stages")) -> str:
    """JSON with one item per line for the keys in `lists` (lists of objects; keys starting
    with "_" dropped) and one entry per line for those in `tables` (objects)."""
    def j(v):
        return json.dumps(v, separators=(", ", ": "))

    lines = ["{"]
    keys = list(doc)
    for k_i, k in enumerate(keys):
        v = doc[k]
        comma = "," if k_i < len(keys) - 1 else ""
        if k in lists:
            lines.append(f'  "{k}": [')
            for p_i, p in enumerate(v):
                p = {kk: vv for kk, vv in p.items() if not kk.startswith("_")}
                lines.append("    " + j(p) + ("," if p_i < len(v) - 1 else ""))
            lines.append("  ]" + comma)
        elif k in tables:
            lines.append(f'  "{k}": {{')
            sub = list(v)
            for s_i, s in enumerate(sub):
                lines.append(f"    {j(s)}: {j(v[s])}" + ("," if s_i < len(sub) - 1 else ""))
            lines.append("  }" + comma)
        else:
            lines.append(f"  {j(k)}: {j(v)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def check_outputs(doc: dict) -> list[str]:
    problems = []
    for key in ("probabilities", "probabilities_transform_input"):
        for b, row in enumerate(doc["outputs"].get(key, [])):
            if max(row) >= 0.95:
                problems.append(f"{key}[{b}] saturated: max={max(row):.4f}")
            if max(row) - min(row) < 0.02:
                problems.append(f"{key}[{b}] flat: {row}")
    for name, st in doc["stages"].items():
        if not (1e-3 < st["std"] < 1e3):
            problems.append(f"stage {name} std={st['std']:.3g}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=ARCHS, action="append", help="architecture(s) to generate")
    ap.add_argument("--out-dir", default=DEFAULT_OUT)
    ap.add_argument("--dry-run", action="store_true", help="print diagnostics, write nothing")
    ap.add_argument("--calibrate", action="store_true",
                    help=f"recompute the amplitude multipliers and rewrite {os.path.basename(SCALES_FILE)}")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    load_scales()

    failed = False
    for arch in args.only or ARCHS:
        adapter = KerasAdapter(arch) if arch in KerasAdapter.STAGES else TorchAdapter(arch)
        if args.calibrate:
            calibrate(adapter, arch)
            if not args.dry_run:
                save_scales()
        elif arch not in AMPLITUDE_SCALE:
            print(f"    WARNING: no amplitude multipliers for {arch}; using raw defaults")
        specs = build_specs(adapter.entries, arch)
        adapter.apply(specs)
        stages, outputs, diag = adapter.run()
        print_diag(arch, stages, {**outputs, **diag})
        doc = {
            "architecture": arch,
            "framework": adapter.framework,
            "input": {"batch": BATCH, "height": adapter.size[0], "width": adapter.size[1], "channels": 3},
            "generator": GENERATOR,
            "parameters": specs,
            "ignored": adapter.ignored,
            "parameter_count": adapter.parameter_count,
            "outputs": outputs,
            "stages": stages,
        }
        problems = check_outputs(doc)
        for p in problems:
            print(f"    WARNING: {p}")
        failed |= bool(problems)
        text = dumps(doc)
        json.loads(text)  # well-formed
        if not args.dry_run:
            path = os.path.join(args.out_dir, f"{arch}.json")
            with open(path, "w") as f:
                f.write(text)
            print(f"    wrote {os.path.relpath(path, REPO)} ({len(text) / 1024:.1f} KiB, "
                  f"{len(doc['parameters'])} tensors, parameter_count={doc['parameter_count']})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
