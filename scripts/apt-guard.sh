# shellcheck shell=bash
# Sourced by the provision-*.sh scripts: installs Debian packages without touching what the caller did not name.
#
# apt_guarded_install PKG...  simulates `apt-get install --no-install-recommends PKG...` first and refuses, listing
#   them, when the plan would upgrade or remove a package that is not in PKG... (new dependencies are fine). Then it
#   installs, and fails if the host's core packages (APT_GUARD_WATCH) changed version anyway.
# A PKG may carry a release (`docker.io/trixie`) or a version (`pkg=1.0`); the guard compares bare names.
#
# Why: installing with `-t trixie` on bookworm once upgraded ~120 packages across the release boundary (libc6,
# base-files, systemd, the system python3). A script of ours changes only what it names.

APT_GUARD_WATCH=(base-files libc6 python3 apt)

apt_guard_log() { printf '[%s] %s\n' "${APT_GUARD_NAME:-apt-guard}" "$*" >&2; }

# Reads `apt-get -s` output on stdin; prints one line per upgrade or removal of a package not named in "$@".
apt_guard_unnamed_changes() {
  local named=" " pkg
  for pkg in "$@"; do
    pkg=${pkg%%/*}
    pkg=${pkg%%=*}
    named+="${pkg%%:*} "
  done
  awk -v named="$named" '
    function bare(p) { sub(/:.*/, "", p); return p }
    $1 == "Inst" && $3 ~ /^\[/ {
      name = bare($2); if (index(named, " " name " ")) next
      old = $3; gsub(/[][]/, "", old); new = $4; sub(/^\(/, "", new)
      print "upgrade " name " " old " -> " new
    }
    $1 == "Remv" {
      name = bare($2); if (index(named, " " name " ")) next
      print "remove " name
    }'
}

apt_guard_versions() {
  local pkg
  for pkg in "${APT_GUARD_WATCH[@]}"; do
    printf '%s %s\n' "$pkg" "$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null || echo none)"
  done
}

apt_guarded_install() {
  local plan unnamed before after
  plan=$(DEBIAN_FRONTEND=noninteractive apt-get -s install -y --no-install-recommends "$@") || {
    apt_guard_log "apt-get cannot plan the install of: $*"
    printf '%s\n' "$plan" | tail -n 20 >&2
    return 1
  }
  unnamed=$(printf '%s\n' "$plan" | apt_guard_unnamed_changes "$@")
  if [ -n "$unnamed" ]; then
    apt_guard_log "refusing to install $*: the plan would also change packages this script does not name:"
    printf '  %s\n' "$unnamed" >&2
    apt_guard_log "nothing was installed; install those packages yourself if you want them changed"
    return 1
  fi
  before=$(apt_guard_versions)
  apt_guard_log "installing $* (--no-install-recommends)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  after=$(apt_guard_versions)
  if [ "$before" != "$after" ]; then
    apt_guard_log "the install changed the host's core packages:"
    diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") >&2 || true
    return 1
  fi
}
