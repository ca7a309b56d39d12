#!/usr/bin/env bash
# Trains ECGLens's own model (`ecglens`, the default) from the data set, in one command:
#   scripts/train-ecglens.sh [DATA_DIR]      (default ../shared/data/ecg-khan-2021)
# 1. the leakage-safe split (Data/split.json, seed 0; the test files are never read below);
# 2. MobileNetV2's frozen 224-px features of every page (the committed backbone);
# 3. the digitised trace's measurements of every page;
# 4. the two heads, their fusion and its temperature (`ecg fit-fusion`), written to
#    models/trained/ecglens.safetensors, with the out-of-fold figures in evaluation/ecglens-fit/;
# 5. the novelty check on its features (`ecg fit-gate`), models/trained/ecglens.gate.safetensors.
# About 5 minutes on a 2-core machine once built (4 min 52 s with a debug build under load), and it
# rewrites the committed weights byte for byte (docs/accuracy.md §7, models/cards/ecglens.md).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/ecg-khan-2021}"
ecg="${ECG:-.build/release/ecg}"
[ -x "$ecg" ] || { scripts/install-deps.sh; swift build -c release --product ecg; }
"$ecg" split "$data" --out Data --manifest "$data/manifest.csv" --group-column header_id --force
"$ecg" features "$data" --model mobilenetv2
"$ecg" features "$data" --kind trace
"$ecg" fit-fusion --data "$data" --image-features cache/features/mobilenetv2-224-full-page.safetensors \
    --trace-features cache/features/trace.safetensors --split Data/split.json --manifest "$data/manifest.csv" \
    --image-l2 0.3 --trace-l2 0.1 --image-weight 0.2 --out models/trained/ecglens.safetensors
"$ecg" fit-gate ecglens --data Data
