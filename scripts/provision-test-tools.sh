#!/usr/bin/env bash
# Installs the host tools the tests use beside Docker: the headless browser the end-to-end tests drive
# (tests/e2e; Debian's `chromium` and `chromium-driver`, no browser is downloaded by a test tool) and `zsh`,
# which parses the completion script `devstack completion zsh` prints. Idempotent: does nothing when all
# are present. Needs root and a Debian/Ubuntu package mirror. Installs only if the plan upgrades or removes
# nothing it does not name (scripts/apt-guard.sh).
set -euo pipefail

APT_GUARD_NAME=provision-test-tools
# shellcheck source=scripts/apt-guard.sh
source "$(dirname "$0")/apt-guard.sh"

packages=(chromium chromium-driver zsh)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "provision-test-tools: ${packages[*]} already installed ($(chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "provision-test-tools: needs root to install ${missing[*]} (sudo bash $0)" >&2
  exit 1
fi

echo "provision-test-tools: installing ${missing[*]}"
apt-get update -qq
apt_guarded_install "${missing[@]}"
echo "provision-test-tools: $(chromium --version)"
