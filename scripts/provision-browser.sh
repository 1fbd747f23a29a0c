#!/usr/bin/env bash
# Installs the headless browser the end-to-end tests drive (tests/e2e): Debian's `chromium` and
# `chromium-driver` packages (no browser is downloaded by a test tool). Idempotent: does nothing when both
# are present. Needs root (or sudo) and a Debian/Ubuntu package mirror.
set -euo pipefail

packages=(chromium chromium-driver)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "provision-browser: ${packages[*]} already installed ($(chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "provision-browser: needs root or sudo to install ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi

echo "provision-browser: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "provision-browser: $(chromium --version)"
