#!/usr/bin/env bash
# Installs what ECGLens needs, builds it, and starts the web app (ecg serve) on the registry's
# models: open http://localhost:7860 (or $PORT). Arguments go to `ecg serve` (see --help).
# Models whose weights are not installed get randomly initialised ones, labelled UNTRAINED
# wherever a prediction shows.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product ecg
ecg=.build/release/ecg
$ecg init-weights --all --if-missing
$ecg models
exec $ecg serve "$@"
