#!/usr/bin/env bash
# Installs the system libraries ECGLens builds against (Debian/Ubuntu), when any is missing.
# Swift 6 itself must already be installed (https://www.swift.org/install/).
set -euo pipefail
packages=(libopenblas-dev libturbojpeg0-dev libpng-dev zlib1g-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
