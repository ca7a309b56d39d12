#!/usr/bin/env bash
# The explanation sanity checks (issue 14 item 4) over the real pages of the test split: for each
# model, the Spearman rank correlation between the trained model's Grad-CAM map and a randomly
# initialised model's (model randomisation, Adebayo et al. 2018: low means the map depends on
# what the model learned), and the mean share of the heat inside the trace grid's box (the rest
# lies on the printed header, margins and footer). See docs/explain.md.
#
# Usage (from the repository root):
#   tools/bench/explain.sh [MODEL...]       # default: small_cnn mobilenetv2
# Environment:
#   ECG=.build/debug/ecg   the ecg binary (build it first: swift build --product ecg)
#   DATA=../shared/data/ecg-khan-2021   the data set; the split goes to Data/ (git-ignored)
#   LIMIT=                 explain at most this many pages per model (default: all)
set -euo pipefail
ECG=${ECG:-.build/debug/ecg}
DATA=${DATA:-../shared/data/ecg-khan-2021}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(small_cnn mobilenetv2)

[ -x "$ECG" ] || { echo "error: $ECG is not built (swift build --product ecg)" >&2; exit 1; }
if [ ! -d Data/test ]; then
  [ -d "$DATA" ] || { echo "error: the data set $DATA is absent" >&2; exit 1; }
  "$ECG" split "$DATA" --out Data --manifest "$DATA/manifest.csv" --group-column header_id
fi
for model in "${models[@]}"; do
  "$ECG" explain --report Data/test --model "$model" ${LIMIT:+--limit "$LIMIT"}
done
