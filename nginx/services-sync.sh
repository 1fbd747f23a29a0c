#!/bin/sh
# Fills /etc/nginx/services.d (what conf.d/opentera.conf includes) with links to the checkout's service files,
# mounted at /etc/nginx/services.src, leaving out any file `nginx -t` refuses: one hand-broken service file must
# not keep the front door down at a (re)start (issue 17). Each left-out file is named on stderr; `devstack status`
# reports it too (nginx_refused). Run by the proxy before NGINX starts and by `devstack` before each reload.
set -u
source_dir=/etc/nginx/services.src
live_dir=/etc/nginx/services.d
mkdir -p "$live_dir"
rm -f "$live_dir"/*.conf
loaded=0
left_out=0
for file in "$source_dir"/*.conf; do
    [ -e "$file" ] || continue
    name=$(basename "$file")
    ln -s "$file" "$live_dir/$name"
    if ! output=$(nginx -t 2>&1); then
        rm -f "$live_dir/$name"
        reason=$(printf '%s\n' "$output" | grep -m1 -E '\[(emerg|error)\]' | sed 's/^.*\[\(emerg\|error\)\] [0-9]*#[0-9]*: //')
        echo "devstack proxy: left out services.d/$name, which nginx refuses: $reason" >&2
        left_out=$((left_out + 1))
    else
        loaded=$((loaded + 1))
    fi
done
echo "devstack proxy: $loaded service location file(s) loaded, $left_out left out" >&2
