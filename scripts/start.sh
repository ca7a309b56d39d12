#!/usr/bin/env bash
# Installs what ECGLens needs, builds it, and classifies the bundled synthetic sample pages (one
# per class, written by `ecg synth`) with the default model (or the images given as arguments).
# Until trained weights ship (the training issue), the registry's models get randomly
# initialised weights, labelled UNTRAINED wherever a prediction shows.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product ecg
ecg=.build/release/ecg
$ecg init-weights --all --if-missing
$ecg models
if [ $# -eq 0 ]; then set -- samples/*/synthetic-*.png; fi
$ecg predict "$@"
