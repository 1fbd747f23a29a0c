#!/usr/bin/env bash
# Provision Docker Engine + Compose v2 + buildx on a Debian bookworm host that has no engine running,
# then start dockerd in the background. Does nothing when `docker info` already succeeds.
#
# Why trixie packages: bookworm's docker.io is Engine 20.10 with Compose v1 and no docker-proxy, so published
# ports fail. Trixie's docker.io / docker-compose / docker-buildx install cleanly on bookworm; we pin trixie to
# priority 100 so nothing else is upgraded from it. See ../shared/docs/docker-here.md.
set -euo pipefail

log() { printf '[provision-docker] %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  log "docker engine already answers; nothing to do"
  exit 0
fi

need_install=0
if ! command -v dockerd >/dev/null 2>&1; then need_install=1; fi
if ! docker compose version >/dev/null 2>&1; then need_install=1; fi
if ! docker buildx version >/dev/null 2>&1; then need_install=1; fi

if [ "$need_install" = 1 ]; then
  sources=/etc/apt/sources.list.d/debian.sources
  [ -r "$sources" ] || { log "cannot read $sources: this script knows how to provision Debian bookworm only"; exit 1; }
  uri=$(awk '/^URIs:/ {print $2; exit}' "$sources")
  keyring=$(awk '/^Signed-By:/ {print $2; exit}' "$sources")
  [ -n "$uri" ] || { log "no URIs: line in $sources"; exit 1; }
  log "adding the trixie apt source ($uri) pinned at priority 100"
  cat > /etc/apt/sources.list.d/devstack-trixie.sources <<SRC
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: ${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}
SRC
  cat > /etc/apt/preferences.d/devstack-trixie <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  log "apt-get update"
  apt-get update -qq
  log "installing docker.io docker-compose docker-buildx from trixie"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie docker.io docker-compose docker-buildx >/dev/null
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
