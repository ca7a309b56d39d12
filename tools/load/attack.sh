#!/usr/bin/env bash
# Attack load test of `ecg serve` on loopback (issue 17; a benchmark, not a CI gate).
#
# Serves every registered model (the committed trained weights, random ones where none are
# committed, in a temporary folder, all loaded at start), then
# runs tools/load/attack.py for a fixed time: every attack of issue 17 in parallel with normal
# uploads and /health probes. Prints normal requests' p50/p99, /health's worst latency, the
# server's peak RSS and any 5xx; exits non-zero when a 5xx other than 503 was seen.
#
#   tools/load/attack.sh [-d SECONDS] [-b debug|release] [-q] [-p] [-s "ECG SERVE OPTIONS"]
#
# -p pins the clients (attacks, uploads and prober) to the last CPU with taskset, so that they take
# at most one core from the server, nearer to clients on other machines; the server keeps all.
# -q sends no attacks and no uploads, only the /health probes: the baseline that the machine's
# own load gives. -s passes more options to `ecg serve` (such as "--discard-mb-per-second 1000").
#
# Needs a build (swift build [-c release] --product ecg) and python3 (Pillow for two attacks).
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=60; configuration=release; quiet=; serve_options=
pin=
while getopts "d:b:qps:" option; do
  case $option in
    d) duration=$OPTARG ;; b) configuration=$OPTARG ;; q) quiet=1 ;; s) serve_options=$OPTARG ;;
    p) pin="taskset -c $(( $(nproc) - 1 ))" ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
  esac
done
ecg=.build/$configuration/ecg
[ -x "$ecg" ] || { echo "error: build first: swift build -c $configuration --product ecg" >&2; exit 1; }

work=$(mktemp -d)
log=$work/server.log
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
# The registry as shipped, its weights paths moved into the temporary folder: the committed
# trained weights (the default `ecglens`, its backbone, small_cnn, with their novelty fits) are
# copied there, the models without committed weights get random ones.
sed -E 's#"(weights|backbone)": "[^"]*/([^"/]+)"#"\1": "\2"#' models/models.json > "$work/models.json"
cp models/trained/*.safetensors "$work/"
$ecg init-weights --all --if-missing --models "$work/models.json" >/dev/null

port=$((20000 + RANDOM % 20000))
# In a session of its own: Linux's autogroup scheduler then shares the CPU between the server and
# this script's clients as between two programs, as if the clients were on other machines.
setsid $ecg serve --host 127.0.0.1 --port "$port" --models "$work/models.json" --preload --allow-untrained --log-level error $serve_options >"$log" 2>&1 &
server=$!
for _ in $(seq 3000); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "error: the server is not ready"; cat "$log"; exit 1; }
echo "server: $ecg ($configuration), four models loaded, RSS $(( $(ps -o rss= -p "$server") / 1024 )) MB before the attacks"
status=0
[ -n "$pin" ] && echo "clients: pinned to CPU $(( $(nproc) - 1 )) ($pin)"
$pin "${PYTHON:-python3}" tools/load/attack.py --port "$port" --pid "$server" --seconds "$duration" ${quiet:+--quiet} || status=$?
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^ecg_http_requests_total.*status="5' || echo "/metrics: no 5xx counted"
exit $status
