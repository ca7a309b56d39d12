#!/usr/bin/env python3
"""Reference for the novelty check's fit (Sources/Inference/NoveltyModel+Fit.swift).

Draws synthetic Gaussian features for 3 classes (different means, a shared correlated
covariance), fits the class means and scikit-learn's LedoitWolf(assume_centered=True) on the
residuals x - mean[label], and writes the Mahalanobis distance of probe points to the nearest
class mean (numpy's inverse of the shrunk covariance). ModelTests' NoveltyModelTests fit the
same features in Swift and compare.

Usage: /work/venv/bin/python tools/reference/novelty_reference.py   (numpy, scikit-learn)
Writes Tests/ModelTests/Fixtures/novelty_reference.json.
"""
import json
import pathlib

import numpy as np
from sklearn.covariance import LedoitWolf

rng = np.random.default_rng(14)
classes, dim, per_class = 3, 6, [20, 14, 9]
mixing = rng.normal(size=(dim, dim))
class_means = rng.normal(scale=3.0, size=(classes, dim))
features, labels = [], []
for c, count in enumerate(per_class):
    draws = rng.normal(size=(count, dim)) @ mixing + class_means[c]
    features += draws.astype(np.float32).tolist()
    labels += [c] * count
x = np.array(features, dtype=np.float64)
y = np.array(labels)

means = np.stack([x[y == c].mean(axis=0) for c in range(classes)])
residuals = x - means[y]
lw = LedoitWolf(assume_centered=True).fit(residuals)
precision = np.linalg.inv(lw.covariance_)

probes = np.concatenate([x[:3], rng.normal(scale=6.0, size=(4, dim))]).astype(np.float32).astype(np.float64)
distances = []
for p in probes:
    d2 = [float((p - m) @ precision @ (p - m)) for m in means]
    distances.append({"distance": float(np.sqrt(min(d2))), "nearest": int(np.argmin(d2))})

out = {
    "classes": classes, "dimension": dim,
    "features": features, "labels": labels,
    "means": means.tolist(), "shrinkage": float(lw.shrinkage_),
    "covariance": lw.covariance_.ravel().tolist(),
    "probes": probes.tolist(), "distances": distances,
}
path = pathlib.Path(__file__).resolve().parents[2] / "Tests/ModelTests/Fixtures/novelty_reference.json"
path.write_text(json.dumps(out) + "\n")
print(f"wrote {path}: shrinkage {lw.shrinkage_:.4f}")
