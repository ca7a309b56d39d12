#!/usr/bin/env python3
"""Forward-pass latency: ECGLens vs ONNX Runtime vs the original framework.

For each architecture (small_cnn, mobilenetv2, inceptionv3, vgg16; 4 classes,
random weights, inference mode) and each batch size it reports the median
latency in ms of `--runs` timed forward passes after `--warmup` untimed ones:

  * ECGLens      `--ecg` command (default `.build/release/ecg bench --json --runs 20`),
                 whose stdout JSON is
                 {"results": [{"architecture", "batch", "median_ms", "images_per_second",
                               "peak_rss_mb", ...}, ...]}
                 `--architectures A --batches B` (one case a process, from --only and
                 --batches: the command itself must not name them), and `--warmup W`
                 (and `--kernels K1,K2` with --kernels) when the command does not name
                 them, are appended; ECG_THREADS is set to --threads. With `--kernels avx512,avx2`
                 one ECGLens process times every case with each GEMM kernel set in
                 turn (one table row per set), so an AVX2 machine's kernels can be
                 compared on an AVX-512 one against the same ORT and framework runs.
  * ONNX Runtime all four. inceptionv3 and vgg16 are the torchvision models with the
                 app's heads, exported with torch.onnx.export (dynamic batch axis).
                 There is no tf2onnx here, so the two Keras models are benchmarked
                 through PyTorch re-implementations with the same architecture and
                 FLOPs (small_cnn layer for layer; mobilenetv2 = torchvision
                 mobilenet_v2 with the same 1280->128->4 head), exported the same way.
  * Framework    PyTorch (eager, inference_mode) for inceptionv3 and vgg16, the
                 framework the old app used for them; TensorFlow/Keras for small_cnn
                 and mobilenetv2 through a tf.function with a fixed input signature
                 (graph mode, no XLA by default; `--tf-xla` compiles with XLA instead).

Threads: everything runs on --threads (default 2) threads: torch.set_num_threads(2)
and one inter-op thread; ORT intra_op_num_threads=2, inter_op_num_threads=1; TF
intra/inter-op parallelism 2/1; ECG_THREADS=2 for ECGLens. Each framework runs in
its own subprocess so that their thread pools and OpenMP runtimes never coexist.

OpenBLAS environment: ECGLens links OpenBLAS, which reads OPENBLAS_CORETYPE (forces
a kernel family instead of the detected CPU) and OPENBLAS_L2_SIZE (overrides the
detected cache size, which sets its blocking). Where the machine's environment sets
those for other tools, they may be unset for the benchmark command only:
`--unset-openblas-env` removes exactly these two variables from the environment of
the ECGLens subprocess, and nothing else. The OpenBLAS/OMP/ECG variables the ECGLens
command ran under are printed (and stored in --out) either way.

Usage (repo root, after `swift build -c release`):
    python tools/bench/compare.py [--only ARCH[,ARCH]] [--batches 1,8]
        [--runs 20] [--warmup 5] [--ecg CMD | --no-ecg] [--kernels avx512,avx2]
        [--unset-openblas-env] [--rounds N] [--out FILE.json]

Rounds: `--rounds N` (default 1) times every case N times on ECGLens and on ORT. Within a round
each case (architecture and batch) runs on both back to back, one process each, ECGLens first in
odd rounds and ORT first in even ones, so that the two timings of a pair are seconds apart: a
shared VM's speed changes within seconds (on the 2-core Zen 2 VM, ORT's MobileNetV2 took 5.3 ms
and 7.0 ms a few seconds apart), and timing every case of one backend before the other's put a
minute between the two halves of each ratio. Each case then reports the median of its
per-round medians for each, and ECGLens/ORT as the median of the per-round ratios, with their
range; the frameworks run once.

The report names the CPU, its vector extensions, the kernel set(s) ECGLens ran with, and the
load average before and after the run (the machine's load decides how far medians can be trusted).

A full run (4 architectures x batches 1 and 8, ORT + framework, 20 runs each) takes
about 3-4 minutes on 2 cores plus the ECGLens command's own time; `--rounds 5 --runs 15`, with
its process per case and backend, 11 minutes on the 2-core Zen 2 VM.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
REFERENCE = os.path.join(REPO, "tools", "reference")

ARCHS = ("small_cnn", "mobilenetv2", "inceptionv3", "vgg16")
SIZE = {"small_cnn": 299, "mobilenetv2": 224, "inceptionv3": 299, "vgg16": 224}
FRAMEWORK = {"small_cnn": "tensorflow", "mobilenetv2": "tensorflow",
             "inceptionv3": "pytorch", "vgg16": "pytorch"}
ORT_SOURCE = {
    "small_cnn": "PyTorch re-implementation of the Keras model (same layers/FLOPs)",
    "mobilenetv2": "torchvision mobilenet_v2 + Keras head 1280->128->4 (same FLOPs as Keras MobileNetV2)",
    "inceptionv3": "torchvision inception_v3 with the app's heads (aux inactive in eval)",
    "vgg16": "torchvision vgg16 with the app's classifier",
}
OPENBLAS_UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
NUM_CLASSES = 4


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------

def measure(fn, runs: int, warmup: int) -> dict:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "runs": runs, "warmup": warmup}


def cpu_busy_fraction(seconds: float = 1.0) -> float | None:
    """Share of all CPUs busy (any process) over `seconds`, from /proc/stat (Linux)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        return sum(v), idle
    try:
        t0, i0 = snap()
        time.sleep(seconds)
        t1, i1 = snap()
    except (OSError, ValueError, IndexError):
        return None
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

def torch_model(arch: str):
    """Eval-mode torch module for `arch` (NCHW float input)."""
    import torch.nn as nn
    sys.path.insert(0, REFERENCE)
    from _torchvision_fix import torchvision

    if arch == "small_cnn":
        # Keras: Conv2D(16,3,same,relu) MaxPool(4) Conv2D(32,3,same,relu) MaxPool(4)
        #        Flatten Dense(64,relu) Dropout Dense(4,softmax); 299 -> 74 -> 18.
        m = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
            nn.Flatten(), nn.Linear(18 * 18 * 32, 64), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(64, NUM_CLASSES), nn.Softmax(dim=1))
    elif arch == "mobilenetv2":
        m = torchvision.models.mobilenet_v2(weights=None)
        m.classifier = nn.Sequential(nn.Linear(1280, 128), nn.ReLU(), nn.Dropout(0.3),
                                     nn.Linear(128, NUM_CLASSES), nn.Softmax(dim=1))
    else:
        from app_models import torchvision_model
        return torchvision_model(arch)
    return m.eval()


def keras_model(arch: str):
    sys.path.insert(0, REFERENCE)
    from app_models import keras_model as build
    return build(arch)


# --------------------------------------------------------------------------
# Workers (one subprocess per backend)
# --------------------------------------------------------------------------

def worker_torch(archs, batches, runs, warmup, threads):
    import numpy as np
    import torch
    torch.set_num_threads(threads)
    if torch.get_num_interop_threads() != 1:
        try:
            torch.set_num_interop_threads(1)  # only possible before any parallel work
        except RuntimeError:
            pass
    torch.manual_seed(0)
    results = []
    for arch in archs:
        model = torch_model(arch)
        for batch in batches:
            x = torch.from_numpy(np.random.default_rng(0).standard_normal(
                (batch, 3, SIZE[arch], SIZE[arch]), dtype=np.float32))

            def fn():
                with torch.inference_mode():
                    return model(x)
            r = measure(fn, runs, warmup)
            log(f"  pytorch      {arch:12s} b{batch}: {r['median_ms']:9.2f} ms")
            results.append({"architecture": arch, "batch": batch, **r})
    return {"backend": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
            "results": results}


def worker_ort(archs, batches, runs, warmup, threads, onnx_dir):
    import numpy as np
    import onnxruntime as ort
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    results = []
    for arch in archs:
        path = os.path.join(onnx_dir, f"{arch}.onnx")
        if not os.path.exists(path):
            t0 = time.perf_counter()
            model = torch_model(arch)
            dummy = torch.zeros(1, 3, SIZE[arch], SIZE[arch])
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            torch.onnx.export(model, (dummy,), path, dynamo=False, opset_version=17,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
            del model
            log(f"  exported {arch} to ONNX in {time.perf_counter() - t0:.1f} s")
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        for batch in batches:
            x = np.random.default_rng(0).standard_normal((batch, 3, SIZE[arch], SIZE[arch]), dtype=np.float32)
            r = measure(lambda: sess.run(None, {name: x}), runs, warmup)
            log(f"  onnxruntime  {arch:12s} b{batch}: {r['median_ms']:9.2f} ms")
            results.append({"architecture": arch, "batch": batch, **r})
        del sess
    return {"backend": "onnxruntime", "version": ort.__version__, "threads": threads, "results": results}


def worker_tf(archs, batches, runs, warmup, threads, xla):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    keras.utils.set_random_seed(0)
    results = []
    for arch in archs:
        model = keras_model(arch)
        for batch in batches:
            spec = tf.TensorSpec((batch, SIZE[arch], SIZE[arch], 3), tf.float32)
            call = tf.function(lambda x: model(x, training=False), input_signature=[spec],
                               jit_compile=xla, reduce_retracing=True)
            x = tf.constant(np.random.default_rng(0).standard_normal(
                (batch, SIZE[arch], SIZE[arch], 3), dtype=np.float32))
            r = measure(lambda: call(x).numpy(), runs, warmup)
            log(f"  tensorflow   {arch:12s} b{batch}: {r['median_ms']:9.2f} ms")
            results.append({"architecture": arch, "batch": batch, **r})
    return {"backend": "tensorflow", "version": f"tf {tf.__version__} / keras {keras.__version__}"
            + (" (XLA)" if xla else " (tf.function)"),
            "threads": threads, "results": results}


def run_worker(kind: str, archs, args, onnx_dir: str, batches=None) -> dict | None:
    if not archs:
        return None
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind,
           "--only", ",".join(archs), "--batches", ",".join(map(str, batches or args.batches)),
           "--runs", str(args.runs), "--runs-large", str(args.runs_large), "--warmup", str(args.warmup),
           "--threads", str(args.threads), "--onnx-dir", onnx_dir]
    if args.tf_xla:
        cmd.append("--tf-xla")
    log(f"[{kind}] {', '.join(archs)}" + (f" b{','.join(map(str, batches))}" if batches else ""))
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        log(f"[{kind}] worker failed (exit {proc.returncode})")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------
# ECGLens
# --------------------------------------------------------------------------

def relevant_env(env: dict) -> dict:
    keys = sorted(k for k in env if k.startswith(("OPENBLAS", "GOTO", "OMP_", "ECG_")))
    return {k: env[k] for k in keys}


def names_option(cmd: list, options: tuple) -> bool:
    """Whether the command line `cmd` gives any of `options`, as `--opt value` or `--opt=value`."""
    return any(token == o or token.startswith(o + "=") for token in cmd for o in options)


def run_ecg(args, archs, batches=None) -> dict:
    cmd = shlex.split(args.ecg) + ["--architectures", ",".join(archs),
                                   "--batches", ",".join(map(str, batches or args.batches))]
    if not names_option(cmd, ("--warmup",)):
        cmd += ["--warmup", str(args.warmup)]
    if args.kernels and not names_option(cmd, ("--kernels",)):
        cmd += ["--kernels", ",".join(args.kernels)]
    env = dict(os.environ)
    env["ECG_THREADS"] = str(args.threads)
    removed = []
    if args.unset_openblas_env:
        for k in OPENBLAS_UNSET:
            if env.pop(k, None) is not None:
                removed.append(k)
    info = {"command": " ".join(shlex.quote(c) for c in cmd), "env": relevant_env(env),
            "unset": list(OPENBLAS_UNSET) if args.unset_openblas_env else [],
            "unset_were_present": removed, "ok": False, "results": []}
    log(f"[ecglens] {info['command']}")
    log(f"[ecglens] env: {info['env'] or '{}'}"
        + (f"; unset {', '.join(OPENBLAS_UNSET)} (present before: {removed or 'none'})"
           if args.unset_openblas_env else ""))
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=REPO, timeout=args.ecg_timeout)
    except FileNotFoundError as e:
        info["error"] = f"not found: {e.filename}"
        return info
    except subprocess.TimeoutExpired:
        info["error"] = f"timed out after {args.ecg_timeout} s"
        return info
    if proc.returncode != 0:
        info["error"] = f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}"
        return info
    out = proc.stdout
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        try:
            doc = json.loads(out[out.index("{"):out.rindex("}") + 1])
        except (ValueError, json.JSONDecodeError):
            info["error"] = "stdout is not the expected JSON"
            return info
    info["results"] = doc.get("results", [])
    info["ok"] = True
    return info


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def join_cases(docs: list) -> dict | None:
    """One backend's runs of a round, one per case, as one result document: the first document
    that ran, with every run's results; not ok, with the first error, when none ran."""
    ran = [d for d in docs if d and d.get("ok", True)]
    if not ran:
        return next((d for d in docs if d), None)
    joined = dict(ran[0])
    joined["results"] = [r for d in ran for r in d.get("results", [])]
    if "command" in joined:
        joined["commands"] = [d["command"] for d in docs if d and "command" in d]
    failed = [d.get("error") for d in docs if d and not d.get("ok", True)]
    if failed:
        joined["errors"] = failed
    return joined


def merge_rounds(docs: list) -> dict | None:
    """One backend's rounds as one result document: per case, `median_ms` the median of the
    rounds' medians, `min_ms` the fastest run of any round, `round_medians_ms` each round's
    median in order (None for a round without the case). A single round is returned as it is,
    with `round_medians_ms` added."""
    good = [d for d in docs if d and d.get("ok", True) and d.get("results")]
    if not good:
        return docs[-1] if docs else None
    merged = dict(good[0])
    key = lambda r: (r["architecture"], int(r["batch"]), r.get("kernels"))
    cases = {}
    for index, doc in enumerate(docs):
        if not (doc and doc.get("ok", True)):
            continue
        for r in doc.get("results", []):
            cases.setdefault(key(r), [None] * len(docs))[index] = r
    results = []
    for per_round in cases.values():
        present = [r for r in per_round if r is not None]
        first = dict(present[0])
        medians = [r["median_ms"] for r in present if r.get("median_ms") is not None]
        minima = [r["min_ms"] for r in present if r.get("min_ms") is not None]
        first["median_ms"] = statistics.median(medians) if medians else None
        first["min_ms"] = min(minima) if minima else None
        first["round_medians_ms"] = [None if r is None else r.get("median_ms") for r in per_round]
        if first.get("images_per_second") is not None and first["median_ms"]:
            first["images_per_second"] = int(first["batch"]) * 1000 / first["median_ms"]
        rss = [r["peak_rss_mb"] for r in present if r.get("peak_rss_mb") is not None]
        if rss:
            first["peak_rss_mb"] = max(rss)
        results.append(first)
    merged["results"] = results
    return merged


def fmt(v, spec=".1f"):
    return "n/a" if v is None else format(v, spec)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="architecture(s), comma-separated (default: all four)")
    ap.add_argument("--batches", default="1,8", help="batch sizes, comma-separated (default 1,8)")
    ap.add_argument("--runs", type=int, default=20, help="timed runs for batch 1 (default 20)")
    ap.add_argument("--runs-large", type=int, default=None,
                    help="timed runs for batches > 1 (default: --runs)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed warm-up runs (default 5)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ecg", default=".build/release/ecg bench --json --runs 20",
                    help="ECGLens benchmark command (run from the repo root)")
    ap.add_argument("--no-ecg", action="store_true", help="skip ECGLens, frameworks only")
    ap.add_argument("--kernels", help="GEMM kernel sets for ECGLens, comma-separated (e.g. avx512,avx2): "
                    "one row per set, all from one `ecg bench --kernels` process (default: the set it picks)")
    ap.add_argument("--ecg-timeout", type=int, default=900)
    ap.add_argument("--unset-openblas-env", action="store_true",
                    help="remove OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the ECGLens subprocess env only")
    ap.add_argument("--skip", default="", help="backends to skip: ort,framework (comma-separated)")
    ap.add_argument("--tf-xla", action="store_true", help="compile the Keras models with XLA (jit_compile)")
    ap.add_argument("--onnx-dir", help="where to keep the exported ONNX models (default: a temp dir)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run ECGLens and ORT this many times, alternating; report medians over rounds (default 1)")
    ap.add_argument("--out", help="write the results as JSON")
    ap.add_argument("--worker", choices=("torch", "ort", "tf"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    archs = [a for a in (args.only.split(",") if args.only else ARCHS) if a]
    if not args.no_ecg and names_option(shlex.split(args.ecg), ("--architectures", "--batches")):
        ap.error("--ecg: leave --architectures and --batches out of the command; the cases come from "
                 "--only and --batches (each ECGLens process times one)")
    for a in archs:
        if a not in ARCHS:
            ap.error(f"unknown architecture {a} (known: {', '.join(ARCHS)})")
    args.batches = [int(b) for b in args.batches.split(",") if b]
    args.kernels = [k for k in (args.kernels or "").split(",") if k]
    if args.runs_large is None:
        args.runs_large = args.runs
    if args.runs < 1 or args.runs_large < 1 or args.warmup < 0 or args.rounds < 1:
        ap.error("--runs/--runs-large/--rounds must be positive, --warmup not negative")

    if args.worker:
        # The worker measures batch 1 with --runs and larger batches with --runs-large.
        results = []
        doc = None
        for batch in args.batches:
            runs = args.runs if batch == 1 else args.runs_large
            if args.worker == "torch":
                d = worker_torch(archs, [batch], runs, args.warmup, args.threads)
            elif args.worker == "ort":
                d = worker_ort(archs, [batch], runs, args.warmup, args.threads, args.onnx_dir)
            else:
                d = worker_tf(archs, [batch], runs, args.warmup, args.threads, args.tf_xla)
            results += d["results"]
            doc = d
        doc["results"] = results
        print(json.dumps(doc))
        return 0

    skip = set(s for s in args.skip.split(",") if s)
    busy_before = cpu_busy_fraction()
    load_before = load_average()
    if busy_before is not None and busy_before > 0.15:
        log(f"WARNING: the CPUs are already {busy_before:.0%} busy before the benchmark starts; "
            "timings will be inflated (check `top`)")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ecg-bench-onnx-") as tmp:
        onnx_dir = args.onnx_dir or tmp
        os.makedirs(onnx_dir, exist_ok=True)
        ecg_rounds, ort_rounds = [], []
        for round_index in range(args.rounds):
            if args.rounds > 1:
                log(f"round {round_index + 1} of {args.rounds}")
            # Each case on both backends back to back (see "Rounds" above), in alternating order.
            order = ("ecg", "ort") if round_index % 2 == 0 else ("ort", "ecg")
            ecg_cases, ort_cases = [], []
            for arch in archs:
                for batch in args.batches:
                    for backend in order:
                        if backend == "ecg" and not args.no_ecg:
                            ecg_cases.append(run_ecg(args, [arch], [batch]))
                        elif backend == "ort" and "ort" not in skip:
                            ort_cases.append(run_worker("ort", [arch], args, onnx_dir, [batch]))
            if not args.no_ecg:
                ecg_rounds.append(join_cases(ecg_cases))
            if "ort" not in skip:
                ort_rounds.append(join_cases(ort_cases))
        ecg = None if args.no_ecg else merge_rounds(ecg_rounds)
        backends = {}
        if "ort" not in skip:
            backends["ort"] = merge_rounds(ort_rounds)
        if "framework" not in skip:
            backends["pytorch"] = run_worker("torch", [a for a in archs if FRAMEWORK[a] == "pytorch"], args, onnx_dir)
            backends["tensorflow"] = run_worker("tf", [a for a in archs if FRAMEWORK[a] == "tensorflow"], args, onnx_dir)

    def lookup(doc, arch, batch, key="median_ms", kernels=None):
        if not doc:
            return None
        for r in doc["results"]:
            if r["architecture"] == arch and int(r["batch"]) == batch and kernels in (None, r.get("kernels")):
                return r.get(key)
        return None

    # One ECGLens column per kernel set with --kernels; else the one the command picked.
    ecg_ok = bool(ecg and ecg["ok"])
    picked = list(dict.fromkeys(r["kernels"] for r in ecg["results"] if r.get("kernels"))) if ecg_ok else []
    sets = args.kernels or [None]

    rows = []
    for arch in archs:
        for batch in args.batches:
            o = lookup(backends.get("ort"), arch, batch)
            fw = FRAMEWORK[arch]
            f = lookup(backends.get(fw), arch, batch)
            ort_per_round = lookup(backends.get("ort"), arch, batch, "round_medians_ms") or []
            for kernels in sets:
                e = lookup(ecg, arch, batch, kernels=kernels) if ecg_ok else None
                got = lookup(ecg, arch, batch, "kernels", kernels) if ecg_ok else None
                ecg_per_round = (lookup(ecg, arch, batch, "round_medians_ms", kernels) or []) if ecg_ok else []
                # Each round's ECGLens median against the ORT median of the same round.
                round_ratios = [ratio(a, b) for a, b in zip(ecg_per_round, ort_per_round)
                                if a is not None and b is not None and b != 0]
                rows.append({
                    "architecture": arch, "batch": batch, "kernels": got,
                    "ecglens_ms": e, "ort_ms": o, "framework": fw, "framework_ms": f,
                    "ratio_ecglens_ort": statistics.median(round_ratios) if len(round_ratios) > 1 else ratio(e, o),
                    "ratio_ecglens_ort_rounds": round_ratios,
                    "ratio_ecglens_framework": ratio(e, f),
                    "ecglens_images_per_second": lookup(ecg, arch, batch, "images_per_second", kernels) if ecg_ok else None,
                    "ecglens_peak_rss_mb": lookup(ecg, arch, batch, "peak_rss_mb", kernels) if ecg_ok else None,
                    "ecglens_min_ms": lookup(ecg, arch, batch, "min_ms", kernels) if ecg_ok else None,
                    "ort_min_ms": lookup(backends.get("ort"), arch, batch, "min_ms"),
                    "framework_min_ms": lookup(backends.get(fw), arch, batch, "min_ms"),
                    "ort_model": ORT_SOURCE[arch],
                    "runs": args.runs if batch == 1 else args.runs_large,
                })

    fw_name = {"pytorch": "PyTorch", "tensorflow": "TF/Keras"}
    per_round = args.rounds > 1
    lines = [
        "| architecture | batch | kernels | ECGLens ms | ORT ms | ECGLens/ORT | "
        + ("ECGLens/ORT by round | " if per_round else "") + "framework | framework ms | ECGLens/framework |",
        "|---|---:|---|---:|---:|---:|" + ("---|" if per_round else "") + "---|---:|---:|",
    ]
    for r in rows:
        by_round = (" | " + (", ".join(format(x, ".2f") for x in r["ratio_ecglens_ort_rounds"]) or "n/a")) if per_round else ""
        lines.append(
            f"| {r['architecture']} | {r['batch']} | {r['kernels'] or 'n/a'} | {fmt(r['ecglens_ms'])} | {fmt(r['ort_ms'])} | "
            f"{fmt(r['ratio_ecglens_ort'], '.2f')}{by_round} | {fw_name[r['framework']]} | {fmt(r['framework_ms'])} | "
            f"{fmt(r['ratio_ecglens_framework'], '.2f')} |")
    print("\n".join(lines))
    print()
    print(f"Median of {args.runs} runs (batch 1) / {args.runs_large} runs (larger batches) after "
          f"{args.warmup} warm-up runs; {args.threads} threads everywhere; random weights, inference mode.")
    if per_round:
        print(f"{args.rounds} rounds, ECGLens and ORT alternating: their columns are medians of the per-round "
              "medians, ECGLens/ORT the median of the per-round ratios (listed); the frameworks ran once.")
    print("Shared/virtual CPUs are noisy: medians of small models can move 20-40% between runs; "
          "--out also records each minimum.")
    print("ORT: small_cnn and mobilenetv2 run as PyTorch re-implementations of the Keras models "
          "(same architecture and FLOPs; no tf2onnx here); inceptionv3 and vgg16 are the torchvision models.")
    for k, d in backends.items():
        if d:
            print(f"{k}: {d['version']}")
    if ecg is None:
        print("ECGLens: skipped (--no-ecg).")
    elif not ecg["ok"]:
        print(f"ECGLens: no results ({ecg.get('error')}); the table shows the frameworks alone.")
    else:
        commands = ecg.get("commands", [])
        print(f"ECGLens: {ecg['command']}" + (f" (one process per case, {len(commands)} a round; all in --out)"
                                              if len(commands) > 1 else ""))
    if ecg is not None:
        print(f"ECGLens env: {ecg['env'] or '{}'}"
              + (f"; unset {', '.join(ecg['unset'])}" if ecg["unset"] else ""))
    load_after = load_average()
    print(f"Total time {time.perf_counter() - started:.0f} s on {platform.machine()} "
          f"({os.cpu_count()} logical CPUs, {cpu_model()}; {cpu_vector_features()}); CPUs "
          f"{fmt(None if busy_before is None else busy_before * 100, '.0f')}% busy just before the run; "
          f"load average (1/5/15 min) {fmt_load(load_before)} before, {fmt_load(load_after)} after.")
    if ecg_ok:
        print(f"ECGLens GEMM kernels: {', '.join(picked) or 'not reported'}")

    if args.out:
        doc = {
            "cpu_busy_before": busy_before,
            "load_average_before": load_before, "load_average_after": load_after,
            "threads": args.threads, "rounds": args.rounds, "runs": args.runs, "runs_large": args.runs_large, "warmup": args.warmup,
            "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "processor": cpu_model(),
                        "vector_features": cpu_vector_features()},
            "backends": {k: ({kk: vv for kk, vv in d.items() if kk != "results"} if d else None)
                         for k, d in backends.items()},
            "ecglens": ({k: v for k, v in ecg.items() if k != "results"} if ecg else None),
            "results": rows,
        }
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print(f"wrote {args.out}")
    return 0


def load_average():
    try:
        return os.getloadavg()
    except OSError:
        return None


def fmt_load(load) -> str:
    return "n/a" if load is None else "/".join(f"{v:.1f}" for v in load)


def cpu_vector_features() -> str:
    """The x86 vector extensions /proc/cpuinfo lists (avx2, fma, avx512f...), or 'unknown'."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    names = [n for n in ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16") if n in flags]
                    return " ".join(names) or "no AVX2"
    except OSError:
        pass
    return "unknown"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
