#!/usr/bin/env python3
"""How far one `ecg evaluate` run's answers moved from another's: two evaluation.json files of
the same model on the same data, e.g. `--precision fp32` and `--precision bf16`.

    python tools/bench/precision_diff.py evaluation/m-fp32/evaluation.json evaluation/m-bf16/evaluation.json

Prints macro-F1 and accuracy of each and their change in points, the largest change of any
probability (per image, per class), and how many images changed their predicted class.
Standard library only.
"""
import json
import sys


def load(path):
    with open(path) as f:
        report = json.load(f)
    return report, {(image["file"], image.get("image")): image["probabilities"] for image in report["images"]}


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    (base, base_probs), (other, other_probs) = load(argv[1]), load(argv[2])
    if base_probs.keys() != other_probs.keys():
        sys.exit(f"{argv[2]}: not the same images as {argv[1]}")
    largest, worst, flipped = 0.0, None, 0
    for key, p in base_probs.items():
        q = other_probs[key]
        change = max(abs(a - b) for a, b in zip(p, q))
        if change > largest:
            largest, worst = change, key[0]
        flipped += max(range(len(p)), key=p.__getitem__) != max(range(len(q)), key=q.__getitem__)
    for name in ("macro_f1", "accuracy"):
        a, b = base["metrics"][name]["value"], other["metrics"][name]["value"]
        print(f"{name}: {100 * a:.2f} -> {100 * b:.2f} % ({100 * (b - a):+.2f} points)")
    print(f"largest probability change: {largest:.5f} ({worst}); predicted class changed on {flipped} of {len(base_probs)} images")


if __name__ == "__main__":
    main(sys.argv)
