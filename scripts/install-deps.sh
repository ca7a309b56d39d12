#!/usr/bin/env bash
# Installs what ECGLens needs from Debian/Ubuntu packages, when any is missing:
#   scripts/install-deps.sh           the system libraries ECGLens builds against;
#   scripts/install-deps.sh browser   headless Chromium and chromedriver, for the server's
#                                     browser test only (not needed to build or run ECGLens).
# Swift 6 itself must already be installed (https://www.swift.org/install/).
set -euo pipefail
case "${1:-libraries}" in
  libraries) packages=(libopenblas-dev libturbojpeg0-dev libpng-dev zlib1g-dev) ;;
  browser) packages=(chromium chromium-driver) ;;
  *) echo "usage: $0 [browser]" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
