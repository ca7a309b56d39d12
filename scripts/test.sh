#!/usr/bin/env bash
# Runs the whole test suite: system libraries, a debug build of everything, every test.
# Tests that need ../shared/data/ecg-khan-2021 skip with a message where it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The server's real-browser test drives headless Chromium; it skips with a message without it.
scripts/install-deps.sh browser || echo "warning: could not install chromium; the browser test will be skipped"
# Every module must declare what it imports (Package.swift): the build rejects an undeclared import.
swift build --build-tests --explicit-target-dependency-import-check error
# One test at a time: the hardening tests bound how long an attack may take and how fast /health
# answers, which parallel tests on a 2-core machine would starve (the whole run is still ~2 min).
swift test --skip-build --no-parallel
# Opt-in: schemathesis (from PyPI) checks the live server against openapi.yaml.
if [ "${ECG_SCHEMATHESIS:-0}" = 1 ]; then tools/schemathesis/run.sh; fi
# Opt-in: builds the container image and checks it as users run it (podman; docs/deployment.md).
if [ "${ECG_CONTAINER_TEST:-0}" = 1 ]; then scripts/test-container.sh; fi
