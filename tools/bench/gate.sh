#!/usr/bin/env bash
# The input gate's benchmark (issue 14 items 1 and 2): pass rate on the real pages of the test
# split, refusal rate on the non-ECG bank, and accuracy on pages turned by 90/180/270 degrees and
# skewed by 5 degrees, read upright by the gate, next to the originals; and each model's novelty
# check (ecg fit-gate --dry-run): test pass rate and refusals of the bank on its own.
#
# Usage (from the repository root):
#   tools/bench/gate.sh [MODEL...]          # default: small_cnn mobilenetv2
# Environment:
#   ECG=.build/debug/ecg   the ecg binary (build it first: swift build --product ecg)
#   DATA=../shared/data/ecg-khan-2021   the data set; the split goes to Data/ (git-ignored)
#   PYTHON=python3         a Python with numpy, Pillow, scikit-image, scikit-learn, matplotlib
#                          (the reference venv of tools/reference/README.md), for the bank
set -euo pipefail
ECG=${ECG:-.build/debug/ecg}
DATA=${DATA:-../shared/data/ecg-khan-2021}
PYTHON=${PYTHON:-python3}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(small_cnn mobilenetv2)

[ -x "$ECG" ] || { echo "error: $ECG is not built (swift build --product ecg)" >&2; exit 1; }
[ -d "$DATA" ] || { echo "error: the data set $DATA is absent" >&2; exit 1; }
if [ ! -d Data/test ]; then
  "$ECG" split "$DATA" --out Data --manifest "$DATA/manifest.csv" --group-column header_id
fi
if [ ! -d Data/gate-bank ]; then
  "$PYTHON" tools/reference/make_gate_bank.py --out Data/gate-bank
fi
"$ECG" gate-report --data Data/test --bank Data/gate-bank
for model in "${models[@]}"; do
  "$ECG" gate-report --data Data/test --model "$model" | sed -n '/^Turned pages/,$p'
  # The novelty check, refitted without writing: test pass rate and bank refusals on its own.
  "$ECG" fit-gate "$model" --data Data --bank Data/gate-bank --dry-run 2>/dev/null
done
