#!/usr/bin/env bash
# Installs the headless browser the end-to-end tests drive (tests/e2e): Debian's `chromium` and
# `chromium-driver` packages (no browser is downloaded by a test tool). Idempotent: does nothing when both
# are present. Needs root and a Debian/Ubuntu package mirror. Installs only if the plan upgrades or removes
# nothing it does not name (scripts/apt-guard.sh).
set -euo pipefail

APT_GUARD_NAME=provision-browser
# shellcheck source=scripts/apt-guard.sh
source "$(dirname "$0")/apt-guard.sh"

packages=(chromium chromium-driver)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "provision-browser: ${packages[*]} already installed ($(chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "provision-browser: needs root to install ${missing[*]} (sudo bash $0)" >&2
  exit 1
fi

echo "provision-browser: installing ${missing[*]}"
apt-get update -qq
apt_guarded_install "${missing[@]}"
echo "provision-browser: $(chromium --version)"
