#!/bin/sh
# Starts Redis with the password REDIS_PASSWORD, or the content of the file REDIS_PASSWORD_FILE names (a Swarm
# secret, issue 19). The password goes to redis-server as configuration on its standard input (`redis-server -`),
# never on its command line, where `ps` and `docker top` would show it. Arguments are passed on to redis-server.
# Works with the official redis image and ours (images/offline/redis): both entrypoints drop root for redis-server.
set -eu

# shellcheck disable=SC1091  # services/lib/env-or-file.sh, mounted into the container
. "${DEVSTACK_LIB_DIR:-/etc/devstack/lib}/env-or-file.sh"
env_or_file REDIS_PASSWORD
if [ -z "${REDIS_PASSWORD:-}" ]; then
    echo "error: REDIS_PASSWORD (or REDIS_PASSWORD_FILE) is not set: Redis would run without a password" >&2
    exit 1
fi

newline='
'
carriage_return=$(printf '\r')
case "$REDIS_PASSWORD" in
    *"$newline"* | *"$carriage_return"*)
        echo "error: REDIS_PASSWORD holds a line break, which a Redis password cannot" >&2
        exit 1
        ;;
esac
# Redis configuration syntax: a double-quoted string, with backslashes and double quotes escaped.
quoted=$(printf '%s' "$REDIS_PASSWORD" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
unset REDIS_PASSWORD
exec docker-entrypoint.sh redis-server - "$@" <<CONFIG
requirepass "$quoted"
CONFIG
