"""Bench: TeraServer API throughput and latency, direct and through NGINX. Prints figures only.

  python bench/teraserver_api.py [--requests 2000] [--max-seconds 30] [--busy-cores 0]

Runs a throwaway copy of the stack (its own Compose project and loopback ports, removed at the end) and
measures, with 1 and with 16 concurrent keep-alive connections, each run bounded by a request count and a time
limit, all on 127.0.0.1:

* `GET /api/service/services?service_key=FileTransferService` with a service token minted as the opentera
  package does (target: >= 1,000 req/s at 16 connections direct on 2 cores);
* `GET /api/user/services` with the admin's user token;

each directly on TeraServer (plain HTTP) and through the NGINX front door (TLS); and, with 16 connections, in
an open loop at the issue's throughput target (1,000 and 360 requests per second offered): the p99 that
target asks for is a latency at that load. At saturation (the closed loop) latency is set by the queue, about
16 connections / throughput, whatever the server does.
"Direct" is the container's own address on the Compose network when this host can reach it (Linux), else its
published 127.0.0.1 port: that
port goes through docker-proxy, Docker's userland copy loop, which here cost ~0.25 ms of CPU per request and
capped the figure at ~450 req/s whatever TeraServer did. The label says which one was measured.
The client is a minimal asyncio HTTP/1.1 client so that it costs far less CPU than the server it measures.
`ts cpu ms` is the TeraServer container's CPU time (cgroup) per successful request: on a shared machine it
moves far less than req/s, so compare that column between two versions.
`--busy-cores N` keeps N processes spinning on the CPU while the load runs (not while the stack starts), to
measure as in a slow phase of a shared machine; its figures say so.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from support.contention import busy_cores  # noqa: E402
from support.latency import load_figures  # noqa: E402

from devstack import paths  # noqa: E402
from devstack.testing.stack import Stack, as_configured_by_default  # noqa: E402

CONCURRENCIES = (1, 16)
FIGURE_CONNECTIONS = 16  # the targets are at 16 connections
SERVICE_KEY = "FileTransferService"


@dataclass(frozen=True)
class Target:
    label: str
    host: str
    port: int
    tls: ssl.SSLContext | None


class ConnectionClosed(Exception):
    """The server closed the keep-alive connection (NGINX does after keepalive_requests)."""


async def read_response(reader: asyncio.StreamReader) -> int:
    """Status of one HTTP/1.1 response, its body consumed (Content-Length or chunked)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionClosed
    status = int(status_line.split(b" ", 2)[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while (size := int((await reader.readline()).strip(), 16)) > 0:
            await reader.readexactly(size + 2)
        await reader.readline()
    elif length:
        await reader.readexactly(length)
    return status


class Connection:
    """One keep-alive connection sending the same GET; reopened (and the request resent) when the server
    closed it, the reconnection counting in that request's latency, as for a client."""

    def __init__(self, target: Target, path: str, token: str) -> None:
        self.target = target
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: localhost:{target.port}\r\nAuthorization: OpenTera {token}\r\n"
            "Connection: keep-alive\r\n\r\n"
        ).encode()
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def open(self) -> None:
        tls = self.target.tls
        self.streams = await asyncio.open_connection(
            self.target.host, self.target.port, ssl=tls, server_hostname="localhost" if tls else None
        )

    async def exchange(self) -> int:
        """Send the request, return the response's status."""
        assert self.streams is not None
        reader, writer = self.streams
        writer.write(self.request)
        await writer.drain()
        try:
            return await read_response(reader)
        except ConnectionClosed:
            writer.close()
            await self.open()
            return await self.exchange()

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()


async def load(target: Target, path: str, token: str, connections: int, total: int, max_seconds: float) -> dict:
    """Closed loop: each connection sends its next request as soon as the previous answer is in (the most the
    server can do; the latency then follows from the queue: about connections / throughput)."""
    latencies: list[float] = []
    failures = 0
    remaining = total
    deadline = time.monotonic() + max_seconds

    async def worker() -> None:
        nonlocal failures, remaining
        connection = Connection(target, path, token)
        await connection.open()
        try:
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                started = time.perf_counter()
                status = await connection.exchange()
                if status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    failures += 1
        finally:
            connection.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return load_figures(latencies, failures, time.monotonic() - started, f"to {target.label}{path}")


async def paced_load(
    target: Target, path: str, token: str, connections: int, rate: float, total: int, max_seconds: float
) -> dict:
    """Open loop, as wrk2 does: request i is due at start + i / rate, sent by whichever of the keep-alive
    connections is free, and its latency counts from its due time, so a server that falls behind is charged
    for the wait as well (no coordinated omission). Answers "at this many requests per second, how long do
    requests take", which a closed loop at saturation cannot."""
    latencies: list[float] = []
    failures = 0
    next_due = 0
    start = time.perf_counter() + 0.1
    deadline = start + max_seconds

    async def worker() -> None:
        nonlocal failures, next_due
        connection = Connection(target, path, token)
        await connection.open()
        try:
            while next_due < total and time.perf_counter() < deadline:
                due = start + next_due / rate
                next_due += 1
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                status = await connection.exchange()
                if status == 200:
                    latencies.append(time.perf_counter() - due)
                else:
                    failures += 1
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return load_figures(latencies, failures, time.perf_counter() - start, f"to {target.label}{path}")


def direct_target(stack: Stack) -> Target:
    """TeraServer on its container address if reachable from here, else on its published loopback port."""
    container = stack.run("ps", "--quiet", "teraserver").stdout.strip()
    inspected = subprocess.run(
        ["docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container],
        capture_output=True,
        text=True,
        check=False,
    )
    for address in inspected.stdout.split():
        try:
            socket.create_connection((address, 4040), timeout=1).close()
        except OSError:
            continue
        return Target("direct (container)", address, 4040, None)
    return Target("direct (published)", "127.0.0.1", stack.host_port("teraserver", 4040), None)


def teraserver_cpu_ns(stack: Stack) -> int | None:
    """CPU time used so far by the TeraServer container (cgroup v2 cpu.stat, else v1 cpuacct), or None."""
    script = (
        "if [ -r /sys/fs/cgroup/cpu.stat ]; then "
        "awk '/^usage_usec/ {print $2 * 1000}' /sys/fs/cgroup/cpu.stat; "
        "else cat /sys/fs/cgroup/cpuacct/cpuacct.usage; fi"
    )
    result = stack.run("exec", "-T", "teraserver", "sh", "-c", script, check=False)
    try:
        return int(float(result.stdout.strip()))
    except ValueError:
        return None


def service_token(stack: Stack) -> str:
    """A token as ServiceOpenTera.service_generate_token makes it: iat + service_uuid, current Redis key."""
    password = stack.values()["REDIS_PASSWORD"]
    key = stack.run(
        "exec", "-T", "redis", "redis-cli", "--no-auth-warning", "-a", password, "GET", "ServiceTokenAPIKey"
    ).stdout.strip()
    service_uuid = stack.psql(f"SELECT service_uuid FROM t_services WHERE service_key = '{SERVICE_KEY}'")[0][0]
    return jwt.encode({"iat": int(time.time()), "service_uuid": service_uuid}, key, algorithm="HS256")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per run (default 2000)")
    parser.add_argument("--max-seconds", type=float, default=30, help="time limit per run (default 30)")
    parser.add_argument(
        "--busy-cores", type=int, default=0, help="processes spinning on the CPU during the load (default 0)"
    )
    arguments = parser.parse_args(argv)
    if arguments.busy_cores < 0:
        parser.error(f"--busy-cores must be 0 or more, not {arguments.busy_cores}")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    contended = f", with {arguments.busy_cores} busy core(s)" if arguments.busy_cores else ""

    root = paths.repo_root(Path(__file__).parent)
    with tempfile.TemporaryDirectory() as workdir:
        # Timed as people run it: logins at bcrypt's cost 12, websockets pinged every 10 s (the test kit's
        # stacks lower both for speed).
        stack = Stack.create(
            root,
            Path(workdir),
            project=f"devstack-bench-teraserver-{int(time.time())}",
            overrides=as_configured_by_default(),
        )
        print("building and starting the stack (not timed) ...", flush=True)
        stack.run("up", "--detach", "--wait", "--build", timeout=1800)
        try:
            ca_file = stack.copy_ca(Path(workdir) / "ca_cert.pem")
            login = requests.get(f"{stack.base_url}/api/user/login", auth=("admin", "admin"), verify=str(ca_file))
            login.raise_for_status()
            user_token = login.json()["user_token"]
            tls = ssl.create_default_context(cafile=str(ca_file))
            targets = [
                direct_target(stack),
                Target("through NGINX (TLS)", "127.0.0.1", int(stack.base_url.rsplit(":", 1)[1]), tls),
            ]
            # (path, token, name in the figures, the throughput target at 16 connections direct)
            cases = [
                (f"/api/service/services?service_key={SERVICE_KEY}", service_token(stack), "service API", 1000),
                ("/api/user/services", user_token, "user API", 360),
            ]
            summary: list[str] = []
            workers = stack.values().get("TERASERVER_WORKERS", "2")
            print(
                f"\n{arguments.requests} requests per run (at most {arguments.max_seconds:.0f} s), "
                f"TeraServer workers: {workers}{contended}. "
                'Load "closed": each connection sends again as soon as answered '
                '(saturation); "N/s": N requests per second offered, latency counted from when each was due.'
            )
            print(
                f"{'endpoint':<58} {'path':<20} {'conns':>5} {'load':>7} {'ok':>6} {'failed':>6} {'req/s':>7} "
                f"{'p50 ms':>7} {'p99 ms':>7} {'ts cpu ms':>9}"
            )
            # The spinners start before the warm-ups, so they are spinning by the first measured run.
            with busy_cores(arguments.busy_cores):
                for path, token, api, target_rate in cases:
                    for target in targets:
                        asyncio.run(load(target, path, token, 4, 100, 10))  # warm-up: connections, pools, caches
                        runs = [(connections, None) for connections in CONCURRENCIES]
                        runs.append((FIGURE_CONNECTIONS, target_rate))
                        for connections, rate in runs:
                            cpu_before = teraserver_cpu_ns(stack)
                            if rate is None:
                                run = load(target, path, token, connections, arguments.requests, arguments.max_seconds)
                            else:
                                run = paced_load(
                                    target, path, token, connections, rate, arguments.requests, arguments.max_seconds
                                )
                            figures = asyncio.run(run)
                            cpu_after = teraserver_cpu_ns(stack)
                            cpu_ms = (
                                f"{(cpu_after - cpu_before) / 1e6 / figures['ok']:>9.2f}"
                                if cpu_before is not None and cpu_after is not None
                                else f"{'n/a':>9}"
                            )
                            load_label = "closed" if rate is None else f"{rate}/s"
                            print(
                                f"{path:<58} {target.label:<20} {connections:>5} {load_label:>7} {figures['ok']:>6} "
                                f"{figures['failed']:>6} {figures['rps']:>7.0f} {figures['p50_ms']:>7.1f} "
                                f"{figures['p99_ms']:>7.1f} {cpu_ms}",
                                flush=True,
                            )
                            if connections != FIGURE_CONNECTIONS:
                                continue
                            where = "direct" if target.tls is None else "through NGINX"
                            served = f"{figures['failed']} failed of {figures['ok'] + figures['failed']}{contended}"
                            if rate is None:
                                summary.append(
                                    f"@figure TeraServer throughput, {api}, {connections} connections, {where} = "
                                    f"{figures['rps']:.0f} req/s (p99 {figures['p99_ms']:.0f} ms, {served})"
                                )
                            elif target.tls is None:
                                summary.append(
                                    f"@figure TeraServer p99 at {rate:,} req/s offered, {api}, {connections} "
                                    f"connections, {where} = {figures['p99_ms']:.0f} ms (p50 "
                                    f"{figures['p50_ms']:.0f} ms, {figures['rps']:.0f} req/s served, {served})"
                                )
            # For bench/run.py's summary (the README's performance table).
            print("\n".join(["", *summary]), flush=True)
        finally:
            stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
