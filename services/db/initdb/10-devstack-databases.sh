#!/bin/sh
# Creates TeraServer's role and database (upstream names: role teraagent, database opentera) and one database
# per service listed in $DEVSTACK_DATABASES_FILE, each owned by that role.
#
# Runs on the first start of an empty data volume (docker-entrypoint-initdb.d), and is safe to run again on a
# live server to add databases for services created later:
#   docker compose exec -u postgres db sh /docker-entrypoint-initdb.d/10-devstack-databases.sh
#
# The role's password: DEVSTACK_DB_ROLE_PASSWORD, or the file DEVSTACK_DB_ROLE_PASSWORD_FILE names (a Swarm
# secret, issue 19); env_or_file comes from services/lib, mounted at /etc/devstack/lib.
set -eu

# shellcheck disable=SC1091  # services/lib/env-or-file.sh, mounted into the container
. "${DEVSTACK_LIB_DIR:-/etc/devstack/lib}/env-or-file.sh"
env_or_file DEVSTACK_DB_ROLE_PASSWORD

role=${DEVSTACK_DB_ROLE:?DEVSTACK_DB_ROLE is not set}
role_password=${DEVSTACK_DB_ROLE_PASSWORD:?DEVSTACK_DB_ROLE_PASSWORD (or DEVSTACK_DB_ROLE_PASSWORD_FILE) is not set}
list_file=${DEVSTACK_DATABASES_FILE:-/etc/devstack/db/databases.list}

run_sql() {
  psql -v ON_ERROR_STOP=1 -X -q --username "${POSTGRES_USER:-postgres}" "$@"
}

# The role, created or brought back in line with .env (its password may have been changed there).
run_sql --dbname postgres -v role="$role" -v pw="$role_password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN PASSWORD :'pw';
SQL

ensure_database() {
  name=$1
  run_sql --dbname postgres -v db="$name" -v role="$role" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
  # PostgreSQL 15 no longer lets every role create objects in schema public: make the role its owner.
  echo 'ALTER SCHEMA public OWNER TO :"role";' | run_sql --dbname "$name" -v role="$role"
  echo "devstack: database $name ready (owner $role)"
}

ensure_database opentera

if [ -f "$list_file" ]; then
  # One database name per line; blank lines and # comments are ignored.
  grep -v '^[[:space:]]*#' "$list_file" | while read -r database _; do
    [ -n "$database" ] && ensure_database "$database"
  done
fi
