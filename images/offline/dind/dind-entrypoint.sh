#!/bin/sh
# Start dockerd in a privileged container. Extra arguments go to dockerd, and
# DIND_INSECURE_REGISTRIES (comma-separated host:port) lists plain-HTTP registries.
set -eu

# dockerd and containerd want these; a privileged container may not have them.
if ! mountpoint -q /sys/kernel/security 2>/dev/null && [ -d /sys/kernel/security ]; then
    mount -t securityfs none /sys/kernel/security 2>/dev/null || true
fi
# cgroup v2 (not on the machine this was tested on, which has v1): move this container's processes into a child
# group so that the root group can delegate controllers to dockerd's containers, as the upstream dind script does.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    mkdir -p /sys/fs/cgroup/init
    xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
    sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control || true
fi
mkdir -p /run /var/run
rm -f /var/run/docker.pid /run/docker/containerd/containerd.pid

set -- --host=unix:///var/run/docker.sock --storage-driver="${DIND_STORAGE_DRIVER:-overlay2}" "$@"
if [ -n "${DIND_INSECURE_REGISTRIES:-}" ]; then
    old_ifs=$IFS
    IFS=,
    for registry in $DIND_INSECURE_REGISTRIES; do
        set -- "$@" --insecure-registry="$registry"
    done
    IFS=$old_ifs
fi
exec dockerd "$@"
