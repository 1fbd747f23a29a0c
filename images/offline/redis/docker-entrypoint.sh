#!/bin/sh
# Entrypoint for opentera-devstack/redis: run the server as the unprivileged
# "redis" user, like the official image does, while still accepting
# `docker run IMAGE --requirepass x` (options only) as the official one does.
set -eu

# Options only: they are meant for redis-server.
case "${1:-}" in
    -*) set -- redis-server "$@" ;;
esac

if [ "${1:-}" = "redis-server" ] && [ "$(id -u)" = "0" ]; then
    # A bind-mounted /data may belong to root: give it to redis so it can
    # write its RDB/AOF files there.
    if [ "$(stat -c %u /data)" != "$(id -u redis)" ]; then
        chown -R redis:redis /data
    fi
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi

exec "$@"
