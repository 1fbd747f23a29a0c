#!/bin/sh
# Healthcheck of the redis service: PONG with the password (REDIS_PASSWORD or REDIS_PASSWORD_FILE, issue 19),
# handed to redis-cli through REDISCLI_AUTH, so it is never on a command line.
set -eu

# shellcheck disable=SC1091  # services/lib/env-or-file.sh, mounted into the container
. "${DEVSTACK_LIB_DIR:-/etc/devstack/lib}/env-or-file.sh"
env_or_file REDIS_PASSWORD
REDISCLI_AUTH=$REDIS_PASSWORD redis-cli ping | grep -q PONG
