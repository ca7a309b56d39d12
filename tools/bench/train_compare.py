#!/usr/bin/env python3
"""Training-step speed: ECGLens next to PyTorch (and optionally TF/Keras), same batch, same threads.

For each architecture (small_cnn, mobilenetv2, inceptionv3, vgg16; 4 classes, random
weights, every parameter trainable) it times one full training step -- forward in training
mode, class-weighted cross-entropy (plus 0.4 x the auxiliary loss for inceptionv3),
backward, AdamW update -- and reports the median step time and images/s:

  * ECGLens   `--ecg` command (default `.build/release/ecg train --benchmark --json`),
              with `--architectures A,B --batch-size B --steps N --warmup W` appended;
              its stdout JSON is {"results": [{"architecture", "batch", "median_ms",
              "images_per_second"}, ...]}. ECG_THREADS is set to --threads.
  * PyTorch   eager, `torch.set_num_threads(threads)`, one inter-op thread, default
              (NCHW, contiguous) layout. inceptionv3 and vgg16 are the torchvision models
              with the app's heads (tools/reference/app_models.py); small_cnn and mobilenetv2
              are the PyTorch re-implementations of the Keras models used by compare.py (same
              layers and FLOPs; torchvision mobilenet_v2 pads symmetrically, Keras does not).
  * TF/Keras  with --keras: `model.train_on_batch` for small_cnn and mobilenetv2 (the old
              app's framework for those two), intra/inter-op threads = threads/1.

Each backend runs in its own subprocess so their thread pools never coexist.

Usage (repo root, after `swift build -c release --product ecg`):
    /work/venv/bin/python tools/bench/train_compare.py [--only small_cnn,mobilenetv2]
        [--batch 8] [--steps 5] [--warmup 2] [--threads 2] [--keras] [--no-ecg] [--out FILE.json]
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import ARCHS, SIZE, NUM_CLASSES, log, torch_model, keras_model  # noqa: E402


def measure(step, steps: int, warmup: int) -> dict:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "steps": steps, "warmup": warmup}


def trainable_torch_model(arch: str):
    """The compare.py model in training mode, returning logits (no softmax layer)."""
    import torch.nn as nn
    model = torch_model(arch)
    if arch == "small_cnn":
        model[-1] = nn.Identity()
    elif arch == "mobilenetv2":
        model.classifier[-1] = nn.Identity()
    return model.train()


def worker_torch(archs, batch, steps, warmup, threads):
    import torch
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(0)
    weights = torch.tensor([1.0, 1.5, 4.0, 0.8])
    results = []
    for arch in archs:
        model = trainable_torch_model(arch)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4)
        loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
        x = torch.randn(batch, 3, SIZE[arch], SIZE[arch])
        y = torch.arange(batch) % NUM_CLASSES

        def step():
            optimizer.zero_grad(set_to_none=True)
            out = model(x)
            if arch == "inceptionv3":
                loss = loss_fn(out.logits, y) + 0.4 * loss_fn(out.aux_logits, y)
            else:
                loss = loss_fn(out, y)
            loss.backward()
            optimizer.step()
        r = measure(step, steps, warmup)
        r["images_per_second"] = batch * 1e3 / r["median_ms"]
        log(f"  pytorch  {arch:12s} b{batch}: {r['median_ms']:9.1f} ms/step  {r['images_per_second']:7.1f} img/s")
        results.append({"architecture": arch, "batch": batch, **r})
    return {"backend": "pytorch", "version": torch.__version__, "threads": threads, "results": results}


def worker_keras(archs, batch, steps, warmup, threads):
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    results = []
    for arch in archs:
        if arch not in ("small_cnn", "mobilenetv2"):
            continue
        model = keras_model(arch)
        model.compile(optimizer=keras.optimizers.AdamW(1e-4, weight_decay=1e-4),
                      loss="sparse_categorical_crossentropy")
        x = np.random.default_rng(0).standard_normal((batch, SIZE[arch], SIZE[arch], 3), dtype=np.float32)
        y = np.arange(batch) % NUM_CLASSES
        r = measure(lambda: model.train_on_batch(x, y), steps, warmup)
        r["images_per_second"] = batch * 1e3 / r["median_ms"]
        log(f"  keras    {arch:12s} b{batch}: {r['median_ms']:9.1f} ms/step  {r['images_per_second']:7.1f} img/s")
        results.append({"architecture": arch, "batch": batch, **r})
    return {"backend": "tensorflow", "version": tf.__version__, "threads": threads, "results": results}


def run_worker(kind, archs, args):
    command = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--only", ",".join(archs),
               "--batch", str(args.batch), "--steps", str(args.steps), "--warmup", str(args.warmup),
               "--threads", str(args.threads)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        log(f"{kind} worker failed (exit {done.returncode})")
        return None
    return json.loads(done.stdout)


def run_ecg(args, archs):
    command = shlex.split(args.ecg) + ["--architectures", ",".join(archs), "--batch-size", str(args.batch),
                                       "--steps", str(args.steps), "--warmup", str(args.warmup)]
    env = dict(os.environ, ECG_THREADS=str(args.threads))
    log("  ecglens  " + " ".join(command))
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env)
    if done.returncode != 0:
        log(f"ECGLens command failed (exit {done.returncode})")
        return None
    return json.loads(done.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="architecture(s), comma-separated (default: all four)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5, help="timed steps (default 5)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ecg", default=".build/release/ecg train --benchmark --json")
    ap.add_argument("--no-ecg", action="store_true")
    ap.add_argument("--keras", action="store_true", help="also time Keras train_on_batch for the two Keras models")
    ap.add_argument("--out", help="write the results as JSON")
    ap.add_argument("--worker", choices=("torch", "keras"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    archs = args.only.split(",") if args.only else list(ARCHS)

    if args.worker:
        work = worker_torch if args.worker == "torch" else worker_keras
        print(json.dumps(work(archs, args.batch, args.steps, args.warmup, args.threads)))
        return 0

    report = {"batch": args.batch, "threads": args.threads, "torch": run_worker("torch", archs, args)}
    if args.keras:
        report["keras"] = run_worker("keras", archs, args)
    if not args.no_ecg:
        report["ecglens"] = run_ecg(args, archs)

    def rate(doc, arch):
        for r in (doc or {}).get("results", []):
            if r["architecture"] == arch:
                return r["images_per_second"]
        return None

    print(f"\nTraining step, batch {args.batch}, {args.threads} threads: images/s (higher is better)\n")
    print("| architecture | ECGLens | PyTorch | ECGLens/PyTorch |" + (" Keras |" if args.keras else ""))
    print("|---|---:|---:|---:|" + ("---:|" if args.keras else ""))
    for arch in archs:
        ecg, torch_rate = rate(report.get("ecglens"), arch), rate(report["torch"], arch)
        speedup = f"{ecg / torch_rate:.2f}" if ecg and torch_rate else "-"
        cells = [f"{v:.1f}" if v else "-" for v in (ecg, torch_rate)]
        keras_cell = ""
        if args.keras:
            k = rate(report.get("keras"), arch)
            keras_cell = f" {k:.1f} |" if k else " - |"
        print(f"| {arch} | {cells[0]} | {cells[1]} | {speedup} |{keras_cell}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
