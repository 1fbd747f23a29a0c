# shellcheck shell=sh
# env_or_file NAME: the value of NAME, or of the file NAME_FILE names (Docker/Swarm secrets), issue 19.
#
# Sourced by the scripts our containers run (services/db/initdb, services/redis); POSIX sh, as the official
# images' shells differ (bash in postgres, dash in redis). The same rules as the Python helpers
# (docs/configuration.md, "Passwords from files"):
#   NAME set (non-empty), NAME_FILE not:  NAME is kept.
#   NAME_FILE set, NAME not:              NAME = the file's content without its trailing newlines (as
#                                         `$(cat file)`, and as the official postgres image reads *_FILE).
#   both set:                             error naming both; neither: NAME stays unset or empty.
#   NAME_FILE names no readable file:     error naming the variable and the path.
# NAME is exported; NAME_FILE is left as it is. Returns 1 after printing the error to stderr.
env_or_file() {
    case "$1" in
        '' | [0-9]* | *[!A-Za-z0-9_]*)
            echo "env_or_file: $1 is not a variable name" >&2
            return 1
            ;;
    esac
    # The name is checked above, so these evals only ever read or write that variable.
    eval "_eof_value=\${$1:-}"
    eval "_eof_file=\${${1}_FILE:-}"
    if [ -n "$_eof_value" ] && [ -n "$_eof_file" ]; then
        echo "error: both $1 and ${1}_FILE are set; set only one of them" >&2
        return 1
    fi
    if [ -n "$_eof_file" ]; then
        if [ ! -f "$_eof_file" ] || [ ! -r "$_eof_file" ]; then
            echo "error: ${1}_FILE=$_eof_file: no such readable file" >&2
            return 1
        fi
        _eof_value=$(cat "$_eof_file") || return 1
        eval "$1=\$_eof_value"
    fi
    # shellcheck disable=SC2163  # exporting the variable named by $1 is the point
    export "$1"
    unset _eof_value _eof_file
}
