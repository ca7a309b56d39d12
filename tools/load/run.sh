#!/usr/bin/env bash
# Load test of `ecg serve` on loopback (a benchmark, not a CI gate).
#
# For each model (small_cnn, mobilenetv2) it runs wrk against POST /api/v1/predict for a fixed
# time, reports requests/s and p50/p90/p99 latency, times /health while the load runs, and
# checks afterwards that the server is healthy and its memory (RSS) stable from round to round.
#
#   tools/load/run.sh [-d SECONDS] [-c CONNECTIONS] [-t THREADS] [-r ROUNDS] [IMAGE]
#
# Needs wrk (apt-get install wrk) and a release build (swift build -c release --product ecg).
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=20; connections=8; threads=2; rounds=2
while getopts "d:c:t:r:" option; do
  case $option in
    d) duration=$OPTARG ;; c) connections=$OPTARG ;; t) threads=$OPTARG ;; r) rounds=$OPTARG ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
image=${1:-Sources/Server/Resources/static/example-ecg.png}
ecg=.build/release/ecg
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$ecg" ] || { echo "error: build first: swift build -c release --product ecg" >&2; exit 1; }
$ecg init-weights small_cnn mobilenetv2 --if-missing >/dev/null

source tools/load/serve.sh

rss_mb() { echo $(( $(ps -o rss= -p "$server") / 1024 )); }
health_ms() { curl -s -o /dev/null -w "%{time_total}" "$url/health" | awk '{printf "%.1f", $1 * 1000}'; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); image: $image"
echo "wrk: ${duration}s, $connections connections, $threads threads, $rounds rounds per model"
echo "startup RSS: $(rss_mb) MB"
for model in small_cnn mobilenetv2; do
  # Warm up: load the model and touch its buffers.
  for _ in 1 2 3; do curl -sf -F model=$model -F "image=@$image" "$url/api/v1/predict" >/dev/null; done
  for round in $(seq "$rounds"); do
    ( sleep $((duration / 2)); echo "health_during_load_ms=$(health_ms)" ) > "$log.health" &
    probe=$!
    result=$(ECG_IMAGE=$image ECG_MODEL=$model wrk -t"$threads" -c"$connections" -d"${duration}s" \
      -s tools/load/predict.lua "$url/api/v1/predict" | grep '^RESULT')
    wait $probe
    echo "$model round $round: ${result#RESULT } $(cat "$log.health") rss_mb=$(rss_mb)"
  done
done
rm -f "$log.health"
status=$(curl -s -o /dev/null -w "%{http_code}" "$url/health")
echo "after: /health $status in $(health_ms) ms, RSS $(rss_mb) MB"
curl -s "$url/metrics" | grep -E '^ecg_inference_batch_size_(sum|count)|^ecg_models_loaded'
[ "$status" = 200 ] || { echo "error: the server is not healthy after the load"; exit 1; }
