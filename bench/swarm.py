"""Bench: `devstack deploy` on a single-node Docker Swarm: deploy, rolling updates, replicas. Prints figures only.

  python bench/swarm.py [--requests 2000] [--max-seconds 30]

Deploys a copy of the checkout as its own stack (`bench-swarm-<random>`, its own front-door port on
127.0.0.1) with `devstack deploy`, then, all load on 127.0.0.1 through the NGINX front door (TLS) and bounded
in requests and seconds:

* deploy to all healthy: the whole `devstack deploy` (images built from Docker's cache, tagged, stack file,
  secrets, `docker stack deploy`, wait), and the part from `docker stack deploy` to every service healthy;
* TeraServer throughput at 16 connections on `GET /api/user/services` (the admin's token), closed loop, with 1
  and then with 3 TeraServer replicas (NGINX spreads requests over the replicas' addresses). On a 2-core
  machine the replicas share the cores the one replica already had: expect little gain;
* a rolling update (`docker service update --force`) of TeraServer (3 replicas) and then of the sample service
  under 16 clients sending `GET /api/user/sites` and `GET /sample/api/me`: each update's duration (Swarm's own
  UpdateStatus start and end times) and the requests that failed (target 0).

The engine is made a swarm manager (`docker swarm init --advertise-addr 127.0.0.1`) only when it is in no swarm, and
leaves the swarm at the end only then (and only when no other container runs: moby issue 45144); the stack, its
secrets, configs, volumes and images are removed at the end (devstack.testing.swarm, shared with
tests/integration/test_swarm_deploy.py). The figures are also printed as `@figure NAME = VALUE` lines, which
bench/run.py collects."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import ssl
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

# The closed-loop asyncio client of the TeraServer bench: light enough on a 2-core machine that the client does
# not take the cores the replicas need.
from teraserver_api import Target, load  # noqa: E402

from devstack import paths, progress  # noqa: E402
from devstack.testing.swarm import Deployment, docker, single_node_swarm, throwaway_deployment, under_load  # noqa: E402

CONNECTIONS = 16
REPLICAS = (1, 3)
THROUGHPUT_PATH = "/api/user/services"  # as bench/teraserver_api.py's user API rows, for comparison
UPDATE_PATHS = ["/api/user/sites", "/sample/api/me"]
# (service, name in the figures, its replicas during the update: TeraServer as scaled for the throughput)
UPDATED_SERVICES = (("teraserver", "TeraServer", REPLICAS[-1]), ("sample", "sample service", 1))
HEALTHY_LINE = re.compile(r"healthy in (?P<seconds>[0-9.]+) s")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per throughput run (default 2000)")
    parser.add_argument("--max-seconds", type=float, default=30, help="time limit per throughput run (default 30)")
    return parser.parse_args(argv)


def swarm_timestamp(text: str) -> datetime:
    """A time as Docker prints it (RFC 3339, nanoseconds), to the microsecond Python keeps."""
    text = text.strip().replace("Z", "+00:00")
    head, _, rest = text.partition(".")
    if not rest:
        return datetime.fromisoformat(text)
    fraction = re.match(r"\d+", rest)
    assert fraction is not None, text
    return datetime.fromisoformat(f"{head}.{fraction.group(0)[:6].ljust(6, '0')}{rest[fraction.end() :]}")


def replicated(replicas: int) -> str:
    return f"{replicas} replica{'s' if replicas > 1 else ''}"


def monitor_seconds(deployment: Deployment, service: str) -> float:
    """The service's update monitor window: Swarm watches the new tasks that long after the last one before it
    declares the update complete."""
    update_config = json.loads(
        docker("service", "inspect", deployment.service(service), "--format", "{{json .Spec.UpdateConfig}}")
    )
    return (update_config or {}).get("Monitor", 0) / 1e9


def update_figure(label: str, replicas: int, swarm_seconds: float, monitor: float) -> str:
    return (
        f"@figure swarm: rolling update of {label} under {CONNECTIONS} connections = {swarm_seconds:.0f} s "
        f"({swarm_seconds - monitor:.0f} s replacing {replicated(replicas)} start-first, then Swarm's "
        f"{monitor:.0f} s monitor window)"
    )


def rolling_update(deployment: Deployment, service: str, replicas: int) -> tuple[float, float]:
    """`docker service update --force` and wait until converged: the update's duration by Swarm's UpdateStatus
    and by the clock here (the latter up to ~1 s late: polled), in seconds."""
    begun = time.monotonic()
    docker("service", "update", "--force", "--detach", deployment.service(service))
    time.sleep(2)  # until Swarm shows the update as started
    deployment.wait_converged(service, replicas)
    wall = time.monotonic() - begun
    status = json.loads(docker("service", "inspect", deployment.service(service), "--format", "{{json .UpdateStatus}}"))
    started, completed = swarm_timestamp(status["StartedAt"]), swarm_timestamp(status["CompletedAt"])
    return (completed - started).total_seconds(), wall


def throughput(deployment: Deployment, token: str, requests_per_run: int, max_seconds: float) -> dict:
    tls = ssl.create_default_context(cafile=str(deployment.ca_file))
    target = Target("through NGINX (TLS)", "127.0.0.1", deployment.port, tls)
    asyncio.run(load(target, THROUGHPUT_PATH, token, 4, 100, 10))  # warm-up: connections, pools, caches
    return asyncio.run(load(target, THROUGHPUT_PATH, token, CONNECTIONS, requests_per_run, max_seconds))


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    root = paths.repo_root(Path(__file__).parent)
    stack = f"bench-swarm-{uuid.uuid4().hex[:8]}"
    summary: list[str] = []
    with tempfile.TemporaryDirectory() as workdir, single_node_swarm() as initialised, ExitStack() as cleanup:
        print(
            "initialised a single-node swarm (left at the end)" if initialised else "using the engine's own swarm",
            flush=True,
        )
        with progress.heartbeat(f"devstack deploy --stack {stack} (timed)"):
            deployment = cleanup.enter_context(throwaway_deployment(root, Path(workdir), stack))
        cleanup.callback(print, f"removing stack {stack}, its secrets, configs, volumes and images ...", flush=True)
        healthy = HEALTHY_LINE.search(deployment.first_deploy_output)
        from_stack_deploy = f"{float(healthy['seconds']):.0f} s" if healthy else "not printed"
        print(
            f"\ndevstack deploy: {deployment.first_deploy_seconds:.1f} s in all, "
            f"{from_stack_deploy} from `docker stack deploy` to all healthy"
        )
        summary.append(
            f"@figure swarm: devstack deploy to all healthy = {deployment.first_deploy_seconds:.0f} s "
            f"({from_stack_deploy} from `docker stack deploy`; images built from cache)"
        )
        login = requests.get(
            f"{deployment.base_url}/api/user/login", auth=("admin", "admin"), verify=str(deployment.ca_file)
        )
        login.raise_for_status()
        token = login.json()["user_token"]

        print(f"\nGET {THROUGHPUT_PATH} through NGINX (TLS, 127.0.0.1), {CONNECTIONS} connections, closed loop")
        print(f"{'replicas':>9} {'ok':>6} {'failed':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for replicas in REPLICAS:
            if replicas != 1:
                docker("service", "scale", "--detach", f"{deployment.service('teraserver')}={replicas}")
                time.sleep(2)
                deployment.wait_converged("teraserver", replicas)
            with progress.heartbeat(f"{arguments.requests} requests, {replicas} TeraServer replica(s)"):
                figures = throughput(deployment, token, arguments.requests, arguments.max_seconds)
            print(
                f"{replicas:>9} {figures['ok']:>6} {figures['failed']:>7} {figures['rps']:>8.0f}"
                f" {figures['p50_ms']:>8.1f} {figures['p99_ms']:>8.1f}",
                flush=True,
            )
            summary.append(
                f"@figure swarm: TeraServer throughput, user API, {CONNECTIONS} connections, {replicated(replicas)}, "
                f"through NGINX = {figures['rps']:.0f} req/s "
                f"(p99 {figures['p99_ms']:.0f} ms, {figures['failed']} failed of "
                f"{figures['ok'] + figures['failed']})"
            )

        durations: dict[str, tuple[float, float]] = {}

        def update_each() -> None:
            for service, _, replicas in UPDATED_SERVICES:
                durations[service] = rolling_update(deployment, service, replicas)

        with progress.heartbeat("rolling updates of TeraServer then the sample, under load"):
            result = under_load(deployment, token, UPDATE_PATHS, update_each, pause=0)
        print(f"\nrolling updates under {CONNECTIONS} clients ({', '.join(UPDATE_PATHS)}):")
        for service, label, replicas in UPDATED_SERVICES:
            swarm_seconds, wall_seconds = durations[service]
            print(
                f"  {label} ({replicated(replicas)}): {swarm_seconds:.1f} s by Swarm's update status, "
                f"{wall_seconds:.1f} s from `docker service update` to converged"
            )
            summary.append(update_figure(label, replicas, swarm_seconds, monitor_seconds(deployment, service)))
        print(f"  requests: {dict(result.outcomes)}; first failures: {result.failures or 'none'}")
        summary.append(
            f"@figure swarm: failed requests during rolling updates, {CONNECTIONS} connections = "
            f"{result.failed} of {result.total}"
        )
    # For bench/run.py's summary (the performance table).
    print("\n".join(["", *summary]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
