#!/bin/sh
# Entrypoint of opentera-devstack/nginx. Before starting nginx, like the
# official image it
#  - renders $NGINX_ENVSUBST_TEMPLATE_DIR/*$NGINX_ENVSUBST_TEMPLATE_SUFFIX
#    (default /etc/nginx/templates/*.template) into
#    $NGINX_ENVSUBST_OUTPUT_DIR (default /etc/nginx/conf.d), replacing only
#    variables that are set in the environment, so nginx's own $variables
#    survive;
#  - runs the executable /docker-entrypoint.d/*.sh scripts in order.
set -eu

render_templates() {
    template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
    suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
    output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
    [ -d "$template_dir" ] || return 0
    # "${A} ${B} ..." for every variable set in the environment.
    defined="$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')"
    for template in "$template_dir"/*"$suffix"; do
        [ -f "$template" ] || continue
        name="$(basename "$template" "$suffix")"
        echo "$0: rendering $template to $output_dir/$name" >&2
        envsubst "$defined" <"$template" >"$output_dir/$name"
    done
}

run_startup_scripts() {
    for script in /docker-entrypoint.d/*.sh; do
        [ -f "$script" ] || continue
        if [ -x "$script" ]; then
            echo "$0: running $script" >&2
            "$script"
        else
            echo "$0: ignoring $script (not executable)" >&2
        fi
    done
}

if [ "${1:-}" = "nginx" ] || [ "${1:-}" = "nginx-debug" ]; then
    render_templates
    run_startup_scripts
fi
exec "$@"
