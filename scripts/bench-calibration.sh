#!/usr/bin/env bash
# Prints each calibrated model's expected calibration error (ECE) before and after temperature
# scaling, on the validation split (where the temperature was fitted) and on the test split, and
# how many test answers are uncertain. Needs the split made by `ecg split` (see docs/trust.md).
#   scripts/bench-calibration.sh [DATA_DIR] [MODEL...]   (default: Data, small_cnn mobilenetv2)
# ECG is the binary to use (default: build the release binary).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-Data}
shift || true
if [ $# -eq 0 ]; then set -- small_cnn mobilenetv2; fi
if [ -z "${ECG:-}" ]; then
    swift build -c release --product ecg >/dev/null
    ECG=.build/release/ecg
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for model in "$@"; do
    for split in validation test; do
        summary=$("$ECG" evaluate "$model" --data "$data/$split" --bootstrap 0 --out "$out/$model-$split")
        after=$(grep -o 'expected calibration error [0-9.]*%' <<<"$summary" | head -1 | grep -o '[0-9.]*%')
        before=$(grep -o 'before it: expected calibration error [0-9.]*%' <<<"$summary" | grep -o '[0-9.]*%' || echo "n/a (not calibrated)")
        printf '%-12s %-10s ECE before %-8s after %s\n' "$model" "$split" "$before" "$after"
    done
    low=0; total=0
    while IFS= read -r line; do
        total=$((total + 1))
        if grep -q '"confidence":"low"' <<<"$line"; then low=$((low + 1)); fi
    done < <(find -L "$data/test" -type f \( -name '*.jpg' -o -name '*.jpeg' -o -name '*.png' \) -print0 | xargs -0 "$ECG" predict --model "$model" --json)
    printf '%-12s test       uncertain answers: %d of %d files\n' "$model" "$low" "$total"
done
