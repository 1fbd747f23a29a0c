#!/usr/bin/env bash
# Provision Docker Engine + Compose v2 + buildx on a Debian bookworm host that has no engine running,
# then start dockerd in the background. Does nothing when `docker info` already succeeds.
#
# Why trixie packages: bookworm's docker.io is Engine 20.10 with Compose v1 and no docker-proxy, so published
# ports fail. Trixie's docker.io / docker-cli / docker-compose / docker-buildx install cleanly on bookworm when each
# is named with its release and recommendations are left out: that takes those packages and containerd from trixie
# and upgrades nothing. The trixie source is pinned to priority 100 so nothing else is ever taken from it.
# Never `apt-get install -t trixie`: that makes trixie the target release of every dependency and upgrades libc6,
# base-files, systemd and the system python3 across the release boundary (issue 16). apt-guard.sh simulates the
# install first and refuses a plan that upgrades or removes a package this script does not name.
set -euo pipefail

APT_GUARD_NAME=provision-docker
# shellcheck source=scripts/apt-guard.sh
source "$(dirname "$0")/apt-guard.sh"
log() { apt_guard_log "$*"; }

if docker info >/dev/null 2>&1; then
  log "docker engine already answers; nothing to do"
  exit 0
fi

need_install=0
if ! command -v dockerd >/dev/null 2>&1; then need_install=1; fi
if ! docker compose version >/dev/null 2>&1; then need_install=1; fi
if ! docker buildx version >/dev/null 2>&1; then need_install=1; fi

sources=/etc/apt/sources.list.d/debian.sources
trixie_source=/etc/apt/sources.list.d/devstack-trixie.sources
trixie_pin=/etc/apt/preferences.d/devstack-trixie

if [ "$need_install" = 1 ]; then
  [ -r "$sources" ] || { log "cannot read $sources: this script knows how to provision Debian bookworm only"; exit 1; }
  host_suite=$(awk '/^Suites:/ {print $2; exit}' "$sources")
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [ -n "$host_suite" ] && [ "$codename" != "$host_suite" ]; then
    # An older version of this script installed with -t trixie; we cannot undo that, and need not stop for it.
    log "note: this host says it is '$codename' but its apt sources are '$host_suite': it was upgraded across"
    log "      releases before (an old provision-docker.sh did that); carrying on, changing nothing more"
  fi
  uri=$(awk '/^URIs:/ {print $2; exit}' "$sources")
  keyring=$(awk '/^Signed-By:/ {print $2; exit}' "$sources")
  [ -n "$uri" ] || { log "no URIs: line in $sources"; exit 1; }
  added=()
  if [ ! -e "$trixie_source" ]; then
    log "adding the apt source $trixie_source (trixie, $uri)"
    cat > "$trixie_source" <<SRC
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: ${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}
SRC
    added+=("$trixie_source")
  fi
  if [ ! -e "$trixie_pin" ]; then
    log "pinning trixie to priority 100 ($trixie_pin)"
    cat > "$trixie_pin" <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    added+=("$trixie_pin")
  fi
  log "apt-get update"
  apt-get update -qq
  packages=(docker.io/trixie docker-cli/trixie docker-compose/trixie docker-buildx/trixie)
  command -v iptables >/dev/null 2>&1 || packages+=(iptables)
  if ! apt_guarded_install "${packages[@]}"; then
    if [ "${#added[@]}" -gt 0 ]; then
      log "removing what this run added: ${added[*]}"
      rm -f "${added[@]}"
      apt-get update -qq || true
    fi
    exit 1
  fi
fi

dockerd_log=${DOCKERD_LOG:-/var/log/devstack-dockerd.log}
log "starting dockerd (log: $dockerd_log)"
# dockerd must outlive this script: setsid detaches it from our process group.
setsid dockerd >"$dockerd_log" 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "docker engine is up: $(docker version --format '{{.Server.Version}}'), compose $(docker compose version --short)"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; last lines of $dockerd_log:"
tail -n 20 "$dockerd_log" >&2 || true
exit 1
