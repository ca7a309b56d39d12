#!/usr/bin/env bash
# Evaluates models on a labelled data set (the test split), each with and without crop-to-trace,
# and prints one line per run with accuracy and macro-F1 and their 95% intervals. The reports go to
# evaluation/MODEL-full-page/ and evaluation/MODEL-crop/.
#   scripts/evaluate-models.sh Data/test [small_cnn mobilenetv2 ...]   (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?usage: scripts/evaluate-models.sh DATA_DIR [MODEL...]}
shift
if [ $# -eq 0 ]; then set -- small_cnn mobilenetv2 inceptionv3 vgg16; fi
swift build -c release --product ecg >/dev/null
for model in "$@"; do
    for crop in --no-crop --crop; do
        summary=$(.build/release/ecg evaluate "$model" --data "$data" "$crop")
        printf '%-12s %-10s %s\n' "$model" "$crop" "$(grep '^accuracy' <<<"$summary")"
    done
done
