#!/usr/bin/env bash
# Builds the container image and checks it as a user would run it (opt-in: scripts/test.sh runs
# this with ECG_CONTAINER_TEST=1). Needs root, Debian's podman, buildah, mmdebstrap and runc
# (installed when missing), and Debian's package mirror; no container registry.
#
# The image is built with `--target prebuilt` from a release binary built here with the host's
# Swift (ECG_TARGET_CPU=x86-64, --static-swift-stdlib), because the official swift image cannot
# be pulled without a registry. Set ECG_PREBUILT=DIR to use DIR/ecg and
# DIR/ECGLens_Server.resources from an earlier release build instead of building.
#
# Checks: /health, /ready, a prediction with each trained model (trained: true, the host
# binary's probabilities), untrained models not served as random weights, weights mounted from
# outside with ECG_MODELS, the non-root user, the HEALTHCHECK, SIGTERM shutdown; prints the
# image size and the start-to-ready time.
set -euo pipefail
cd "$(dirname "$0")/.."
image=localhost/ecglens:test
port=${ECG_CONTAINER_PORT:-17860}
work=$(mktemp -d)
containers=()
cleanup() {
    for name in "${containers[@]}"; do podman rm -f "$name" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

for tool in podman buildah mmdebstrap runc curl; do
    command -v "$tool" >/dev/null || { step "installing container tools"; apt-get install -y podman buildah mmdebstrap runc curl >/dev/null; break; }
done

# Settings these sandboxes need (the defaults fail here), in a file of our own, not /etc.
cat > "$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF="$work/containers.conf"

# The base image, from the Debian mirror (about 90 s the first time).
if ! podman image exists localhost/debian:bookworm-slim; then
    step "building localhost/debian:bookworm-slim with mmdebstrap"
    mmdebstrap --variant=minbase bookworm "$work/rootfs.tar" >/dev/null
    podman import "$work/rootfs.tar" localhost/debian:bookworm-slim >/dev/null
fi

# The binary, built for any x86-64 CPU with the Swift runtime linked in.
if [ -z "${ECG_PREBUILT:-}" ]; then
    step "release build (ECG_TARGET_CPU=x86-64, --static-swift-stdlib)"
    ECG_TARGET_CPU=x86-64 swift build -c release --product ecg --static-swift-stdlib
    ECG_PREBUILT=$(swift build -c release --show-bin-path)
fi
rm -rf dist && mkdir -p dist
# Stripped: the symbol table is most of a statically linked Swift binary's size.
strip -o dist/ecg "$ECG_PREBUILT/ecg"
cp -R "$ECG_PREBUILT/ECGLens_Server.resources" dist/

step "podman build --target prebuilt"
podman build --format docker --pull=never --network host --target prebuilt -t "$image" . >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log"; fail "podman build"; }
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "image size: $((size / 1000000)) MB"

[ "$(podman image inspect --format '{{.Config.User}}' "$image")" = ecg ] || fail "the image does not run as user ecg"

# Starts a container NAME on PORT with extra podman arguments; prints the start-to-ready time.
start() {
    local name=$1 host_port=$2; shift 2
    containers+=("$name")
    local began; began=$(date +%s%N)
    podman run -d --name "$name" -p "127.0.0.1:$host_port:7860" "$@" "$image" >/dev/null
    for _ in $(seq 1 300); do
        if curl -fsS "http://127.0.0.1:$host_port/ready" >/dev/null 2>&1; then
            echo "$name: start to ready: $(( ($(date +%s%N) - began) / 1000000 )) ms"
            return 0
        fi
        sleep 0.1
    done
    podman logs "$name" | tail -20
    fail "$name was not ready within 30 s"
}

# POSTs PAGE to /api/v1/predict on PORT for MODEL; prints the JSON answer.
predict_api() {
    curl -fsS -F "image=@$3;type=image/png" -F "model=$2" "http://127.0.0.1:$1/api/v1/predict"
}

# Checks that a JSON answer is trained and has the host binary's probabilities for the page.
same_as_host() {
    local answer=$1 host=$2
    python3 - "$answer" "$host" <<'PY'
import json, sys
answer, host = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert answer["trained"] is True, f"not trained: {answer}"
a, h = answer["probabilities"], host["probabilities"]
assert set(a) == set(h), (a, h)
worst = max(abs(a[k] - h[k]) for k in a)
assert worst <= 1e-5, f"probabilities differ from the host binary's by {worst}: {a} vs {h}"
print(f"  {answer['model']}: {answer['prediction']}, trained, probabilities match the host binary (max diff {worst:.1e})")
PY
}

start ecglens-test "$port"
step "health, readiness, user, HEALTHCHECK"
[ "$(curl -fsS "http://127.0.0.1:$port/health")" = '{"status":"ok"}' ] || fail "/health"
curl -fsS "http://127.0.0.1:$port/ready" | grep -q '"ready":true' || fail "/ready"
[ "$(podman exec ecglens-test id -u)" = 10001 ] || fail "the server does not run as uid 10001"
podman healthcheck run ecglens-test || fail "the HEALTHCHECK fails"

step "predictions with each trained model, against the host binary"
page=samples/Normal/synthetic-1.png
models=$(curl -fsS "http://127.0.0.1:$port/api/v1/models")
trained=$(python3 -c '
import json, sys
models = json.loads(sys.argv[1])["models"]
for m in models:
    # A model without trained weights must not be served as ready random weights.
    assert not (m.get("status") == "ready" and m.get("trained") is False), m["key"] + " serves random weights"
print(" ".join(m["key"] for m in models if m.get("trained") is True))' "$models")
[ -n "$trained" ] || fail "no trained model in /api/v1/models: $models"
for model in $trained; do
    host=$(dist/ecg predict "$page" --model "$model" --json)
    same_as_host "$(predict_api "$port" "$model" "$page")" "$host"
done

# Memory with every trained model loaded and used: what deploy/web.yaml's requests are sized from.
podman exec ecglens-test grep -E '^Vm(RSS|HWM)' /proc/1/status | awk '{printf "server %s %d MB\n", $1, $2 / 1024}'

step "weights from outside: a registry of one's own, mounted, named by ECG_MODELS"
mkdir -p "$work/extra" && chmod 755 "$work" "$work/extra"
cp models/trained/small_cnn.safetensors "$work/extra/"
python3 - "$work/extra/models.json" <<'PY'
import json, sys
entry = next(m for m in json.load(open("models/models.json"))["models"] if m["key"] == "small_cnn")
entry.update(key="my_cnn", name="My CNN", weights="small_cnn.safetensors")
json.dump({"default": "my_cnn", "models": [entry]}, open(sys.argv[1], "w"))
PY
chmod 644 "$work/extra/"*
start ecglens-extra $((port + 1)) -v "$work/extra:/extra:ro" -e ECG_MODELS=/extra/models.json
answer=$(predict_api $((port + 1)) my_cnn "$page")
same_as_host "$answer" "$(dist/ecg predict "$page" --model small_cnn --json)"
podman rm -f ecglens-extra >/dev/null

step "batch scoring as deploy/batch-job.yaml runs it: shard 1 of 2 by JOB_COMPLETION_INDEX, as uid 10001"
mkdir -p "$work/results" && chown 10001 "$work/results"
podman run --rm --entrypoint /app/ecg -v "$work/results:/results" -e JOB_COMPLETION_INDEX=1 -e ECG_SHARD_COUNT=2 \
    "$image" predict /app/samples --model small_cnn --output /results/part-1.jsonl
lines=$(wc -l < "$work/results/part-1.jsonl")
[ "$lines" = 2 ] || fail "shard 1/2 of the 4 samples wrote $lines records, not 2"
grep -q '"status":"ok"' "$work/results/part-1.jsonl" || fail "the batch records are not ok"

step "SIGTERM shutdown"
began=$(date +%s%N)
podman stop -t 20 ecglens-test >/dev/null
stopped_ms=$(( ($(date +%s%N) - began) / 1000000 ))
code=$(podman inspect --format '{{.State.ExitCode}}' ecglens-test)
echo "stopped in $stopped_ms ms with exit code $code"
[ "$code" = 0 ] || fail "the server did not exit cleanly on SIGTERM (exit code $code)"
[ "$stopped_ms" -lt 15000 ] || fail "the server ignored SIGTERM and was killed"

echo "container test passed"
