# Sourced by the load scripts (run.sh, timings.sh) after they set $ecg: starts `ecg serve` on a
# random loopback port in the background and waits for /health. Sets url, server (its process id)
# and log (a temporary file with its output); an EXIT trap stops it and removes $log and $log.*.
port=$((20000 + RANDOM % 20000))
url=http://127.0.0.1:$port
log=$(mktemp)
$ecg serve --host 127.0.0.1 --port "$port" --log-level warning >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log" "$log".*' EXIT
for _ in $(seq 50); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
curl -sf "$url/health" >/dev/null || { echo "error: the server did not start"; cat "$log"; exit 1; }
