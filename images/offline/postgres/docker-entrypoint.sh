#!/usr/bin/env bash
# Entrypoint of opentera-devstack/postgres, built from Debian's postgresql-15.
#
# It honours the environment contract of the official postgres image so that a
# compose service written for `postgres:15` works unchanged:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD, POSTGRES_DB (default:
#   the user), each also as *_FILE; PGDATA; POSTGRES_INITDB_ARGS;
#   POSTGRES_INITDB_WALDIR; POSTGRES_HOST_AUTH_METHOD (default scram-sha-256);
#   /docker-entrypoint-initdb.d/ (*.sh, *.sql, *.sql.gz, *.sql.xz, *.sql.zst),
#   run once, on the first start with an empty data directory.
set -Eeuo pipefail

readonly INITDB_DIR=/docker-entrypoint-initdb.d

log() {
    printf '%s [entrypoint] %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*" >&2
}

die() {
    log "error: $*"
    exit 1
}

# Sets VAR from VAR or from the file named by VAR_FILE (Docker secrets), else
# from a default. Both at once is ambiguous, so it is refused.
value_from_env_or_file() {
    local name="$1" default="${2:-}"
    local file_name="${name}_FILE"
    local value="$default"
    if [[ -n "${!name:-}" && -n "${!file_name:-}" ]]; then
        die "both $name and $file_name are set; use only one of them"
    fi
    if [[ -n "${!name:-}" ]]; then
        value="${!name}"
    elif [[ -n "${!file_name:-}" ]]; then
        [[ -r "${!file_name}" ]] || die "$file_name=${!file_name} is not a readable file"
        value="$(<"${!file_name}")"
    fi
    export "$name=$value"
    unset "$file_name"
}

load_settings() {
    value_from_env_or_file POSTGRES_USER postgres
    value_from_env_or_file POSTGRES_PASSWORD
    value_from_env_or_file POSTGRES_DB "$POSTGRES_USER"
    value_from_env_or_file POSTGRES_INITDB_ARGS
    export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
    export POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
}

# As root: make the data and socket directories usable by "postgres" (a fresh
# bind mount or named volume is usually owned by root).
prepare_directories_as_root() {
    mkdir -p "$PGDATA" /var/run/postgresql
    if [[ "$(stat -c %u "$PGDATA")" != "$(id -u postgres)" ]]; then
        chown -R postgres:postgres "$PGDATA"
    fi
    chmod 700 "$PGDATA"
    chown postgres:postgres /var/run/postgresql
    chmod 3777 /var/run/postgresql
    if [[ -n "${POSTGRES_INITDB_WALDIR:-}" ]]; then
        mkdir -p "$POSTGRES_INITDB_WALDIR"
        chown -R postgres:postgres "$POSTGRES_INITDB_WALDIR"
        chmod 700 "$POSTGRES_INITDB_WALDIR"
    fi
}

is_initialized() {
    [[ -s "$PGDATA/PG_VERSION" ]]
}

check_password_given() {
    if [[ -z "$POSTGRES_PASSWORD" && "$POSTGRES_HOST_AUTH_METHOD" != "trust" ]]; then
        die "the database is not initialized and no superuser password is set.
  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value, or
  POSTGRES_HOST_AUTH_METHOD=trust to allow connections without a password
  (not recommended: anyone who can reach the port gets in)."
    fi
}

run_initdb() {
    local -a args=(--pgdata="$PGDATA" --username="$POSTGRES_USER"
        # Unix socket connections come from inside the container only: trust
        # them (init scripts and healthchecks use them); TCP needs a password.
        --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD")
    if [[ -n "${POSTGRES_INITDB_WALDIR:-}" ]]; then
        args+=(--waldir="$POSTGRES_INITDB_WALDIR")
    fi
    log "initializing a new cluster in $PGDATA"
    if [[ -n "$POSTGRES_PASSWORD" ]]; then
        # Through a pipe, so the password is neither in a process list nor in
        # a file. The <(...) must be on the initdb line itself: bash closes it
        # once the command that created it has finished.
        # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of options.
        initdb "${args[@]}" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS
    else
        # shellcheck disable=SC2086
        initdb "${args[@]}" $POSTGRES_INITDB_ARGS
    fi
}

# initdb only allows loopback clients over TCP; other containers connect from
# any address, so they get the same authentication method.
allow_remote_clients() {
    {
        echo
        echo '# Added by docker-entrypoint.sh: clients from other containers.'
        echo "host all all all $POSTGRES_HOST_AUTH_METHOD"
    } >>"$PGDATA/pg_hba.conf"
}

start_setup_server() {
    # No TCP listener while the init scripts run: nothing outside can connect
    # to a half-initialized database.
    pg_ctl --pgdata="$PGDATA" --wait --silent \
        --options="-c listen_addresses='' -p ${PGPORT:-5432}" start
}

stop_setup_server() {
    pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
}

# psql as the superuser over the unix socket, stopping at the first error.
psql_setup() {
    psql --no-psqlrc --no-password --set ON_ERROR_STOP=1 --username="$POSTGRES_USER" "$@"
}

create_database() {
    [[ "$POSTGRES_DB" == "postgres" ]] && return 0
    local exists
    # psql variables (:'db', :"db") quote the name; they only work on stdin.
    exists="$(psql_setup --dbname=postgres --tuples-only --no-align --set db="$POSTGRES_DB" \
        <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
    if [[ "$exists" != "1" ]]; then
        log "creating database $POSTGRES_DB"
        psql_setup --dbname=postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
}

run_init_file() {
    local file="$1"
    local -a psql_db=(--dbname="$POSTGRES_DB")
    case "$file" in
        *.sh)
            if [[ -x "$file" ]]; then
                log "running $file"
                "$file"
            else
                # Sourced, like the official image: it sees our functions and
                # variables and may change the environment of later scripts.
                log "sourcing $file"
                # shellcheck disable=SC1090
                . "$file"
            fi
            ;;
        *.sql) log "running $file" && psql_setup "${psql_db[@]}" --file="$file" ;;
        *.sql.gz) log "running $file" && gzip -dc "$file" | psql_setup "${psql_db[@]}" ;;
        *.sql.xz) log "running $file" && xz -dc "$file" | psql_setup "${psql_db[@]}" ;;
        *.sql.zst) log "running $file" && zstd -dc "$file" | psql_setup "${psql_db[@]}" ;;
        *) log "ignoring $file" ;;
    esac
}

run_init_files() {
    local file
    [[ -d "$INITDB_DIR" ]] || return 0
    # Glob order is sorted by the C locale here, so 01-*, 02-* run in order.
    for file in "$INITDB_DIR"/*; do
        [[ -e "$file" ]] || continue
        run_init_file "$file"
    done
}

initialize_cluster() {
    check_password_given
    run_initdb
    allow_remote_clients
    # Init scripts written for the official image rely on PGPASSWORD and
    # these being exported.
    export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
    start_setup_server
    create_database
    run_init_files
    stop_setup_server
    unset PGPASSWORD
    log "initialization done; starting the server"
}

main() {
    # `docker run IMAGE -c shared_buffers=256MB`: options are for postgres.
    if [[ "${1:-}" == -* ]]; then
        set -- postgres "$@"
    fi
    if [[ "${1:-}" != "postgres" ]]; then
        exec "$@"
    fi

    load_settings
    if [[ "$(id -u)" == "0" ]]; then
        prepare_directories_as_root
        # Drop privileges and start over as "postgres"; the server refuses
        # to run as root anyway.
        exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
    fi

    if ! is_initialized; then
        initialize_cluster
    fi
    exec "$@"
}

main "$@"
