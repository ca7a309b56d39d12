#!/usr/bin/env bash
# Where one upload's time goes in `ecg serve`: the median of each `timings_ms` field (queue,
# decode — which includes the page check —, preprocess, inference, total) over N sequential
# POST /api/v1/predict requests per model, after 3 warm-up requests (a benchmark, not a CI gate).
#
#   tools/load/timings.sh [-n REQUESTS] IMAGE [MODEL...]      (models: small_cnn mobilenetv2)
#
# Serves $ECG_MODELS when set (a registry with "decode_ratio" on, say), else models/models.json.
# Needs a release build (swift build -c release --product ecg) and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
requests=30
while getopts "n:" option; do
  case $option in n) requests=$OPTARG ;; *) sed -n '2,9p' "$0"; exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n '2,9p' "$0"; exit 2; }
image=$1; shift
models=${*:-small_cnn mobilenetv2}
ecg=.build/release/ecg
[ -x "$ecg" ] || { echo "error: build first: swift build -c release --product ecg" >&2; exit 1; }

source tools/load/serve.sh

echo "image: $image; $requests requests per model; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for model in $models; do
  : >"$log.json"
  for i in $(seq $((requests + 3))); do
    answer=$(curl -sf -F model="$model" -F "image=@$image" "$url/api/v1/predict")
    [ "$i" -gt 3 ] && echo "$answer" >>"$log.json"
  done
  python3 - "$model" "$log.json" <<'EOF'
import json, statistics, sys
rows = [json.loads(line)["timings_ms"] for line in open(sys.argv[2])]
fields = ["queue", "decode", "preprocess", "inference", "total"]
print(sys.argv[1] + ": " + "  ".join(f"{f} {statistics.median(r[f] for r in rows):.1f}" for f in fields) + " (median ms)")
EOF
done
