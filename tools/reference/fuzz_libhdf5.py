#!/usr/bin/env python3
"""How libhdf5 (through h5py) copes with the mutated HDF5 files ImportTests feeds ECGLens's reader.

Applies the same kinds of mutation as Tests/ImportTests/FuzzTests.swift to an HDF5 fixture and
reads every dataset of each mutant with h5py in a forked child, counting clean errors, loads,
crashes (signals) and hangs (over 10 s). Used to choose between libhdf5 and an own reader.

Usage: /work/venv/bin/python tools/reference/fuzz_libhdf5.py [FILE] [--mutants N]
"""
import argparse
import os
import random
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "..", "Tests", "ImportTests", "Fixtures", "small_cnn_64.weights.h5")


def mutate(data: bytearray, rng: random.Random) -> bytearray:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if len(data) <= 16:
            break
        window = min(4096, len(data))
        kind = rng.randrange(4)
        pos = rng.randrange(window) if kind == 0 else len(data) - 1 - rng.randrange(window) if kind == 1 else rng.randrange(len(data))
        op = rng.randrange(5)
        if op == 0:
            data[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            data[pos] = rng.randrange(256)
        elif op == 2:
            data[pos:pos + 8] = b"\xff" * len(data[pos:pos + 8])
        elif op == 3:
            data[pos:pos + 4] = b"\x00" * len(data[pos:pos + 4])
        else:
            del data[pos:]
    return data


def read_all(path: str) -> None:
    import h5py
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                obj[()]
            dict(obj.attrs)
        f.visititems(visit)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", default=DEFAULT)
    parser.add_argument("--mutants", type=int, default=300)
    args = parser.parse_args()
    import h5py  # noqa: F401  (imported before forking)
    original = open(args.file, "rb").read()
    rng = random.Random(0)
    counts = {"loaded": 0, "error": 0, "crash": 0, "hang": 0}
    path = "/tmp/fuzz_libhdf5_mutant.h5"
    for _ in range(args.mutants):
        with open(path, "wb") as f:
            f.write(mutate(bytearray(original), rng))
        pid = os.fork()
        if pid == 0:
            signal.alarm(10)
            try:
                read_all(path)
                os._exit(0)
            except Exception:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            counts["hang" if os.WTERMSIG(status) == signal.SIGALRM else "crash"] += 1
        else:
            counts["loaded" if os.WEXITSTATUS(status) == 0 else "error"] += 1
    import h5py
    print(f"libhdf5 {h5py.version.hdf5_version}, {args.mutants} mutants of {os.path.basename(args.file)}: {counts}")


if __name__ == "__main__":
    sys.exit(main())
