#!/usr/bin/env bash
# Installs what ECGLens needs, builds it, and starts the web app (ecg serve) on the registry's
# models: open http://localhost:7860 (or $PORT). Arguments go to `ecg serve` (see --help).
# The trained Small CNN and MobileNetV2 are in the repository; InceptionV3 and VGG16 show as
# "not trained" until their weights are trained or imported (`ecg models` prints the command).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product ecg
ecg=.build/release/ecg
$ecg models
exec $ecg serve "$@"
