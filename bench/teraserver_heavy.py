"""Bench: TeraServer's heavy endpoints and the participant API, on upstream's test data. Prints figures only.

  python bench/teraserver_heavy.py [--requests 300] [--max-seconds 20] [--upstream https://127.0.0.1:14040]

Runs a throwaway copy of the stack (its own Compose project and loopback ports, removed at the end), loads
upstream's test data set into it (`python -m teraserver.seed`) and measures directly on TeraServer, each run
bounded by a request count and a time limit:

* at 1 connection (closed loop: one client asking again as soon as answered, as a page does), the heavy user
  endpoints with the admin's token: `sessions?id_participant=1`, `participants?id_project=1`,
  `assets?id_participant=1`, `projects?list=true` (with the participant counts). Target: 5x upstream's rate
  on that data; upstream's server answered `sessions?id_participant=1` at 25.2 req/s (so >= 125 req/s);
* at 1 connection, the device API with device 1's static token (`participants`, `devices`, `assets`) and the
  participant API with `participant1`'s dynamic token (`sessions`, `assets`, `devices`);
* at 16 connections, the participant API as many participants use it at once: `GET /api/participant/login`
  (HTTP Basic, a different participant per connection: password checks of one account are throttled) and
  `GET /api/participant/participants` with each one's dynamic token.

`--upstream URL` also measures the 1-connection rows on upstream's own TeraServer, run beside this stack on
loopback with its test data (docs/teraserver-parity.md says how), and prints its rate and ours / upstream: the
A/B of the issue's "5x upstream" target in one run. Only a loopback address is accepted.

`ts cpu ms` is the TeraServer container's CPU time per successful request, the figure to compare between two
versions on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import ssl
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from support.latency import load_figures  # noqa: E402
from teraserver_api import ConnectionClosed, Target, direct_target, read_response, teraserver_cpu_ns  # noqa: E402

from devstack import paths  # noqa: E402
from devstack.testing.stack import Stack  # noqa: E402

HEAVY_USER_PATHS = (
    "/api/user/sessions?id_participant=1",
    "/api/user/participants?id_project=1",
    "/api/user/assets?id_participant=1",
    "/api/user/projects?list=true",
)
DEVICE_PATHS = ("/api/device/participants", "/api/device/devices", "/api/device/assets")
PARTICIPANT_PATHS = ("/api/participant/sessions", "/api/participant/assets", "/api/participant/devices")
TEST_PARTICIPANT = ("participant1", "opentera")  # the test data's participant with a login (TeraParticipant defaults)
PARTICIPANTS = 16
# The row of bench/run.py's summary (and of docs/performance.md's table) this script measures.
SESSIONS_FIGURE = "TeraServer sessions of a participant (upstream's data), 1 connection, direct"
PARTICIPANT_PASSWORD = "Bench-Participant-1"


async def closed_loop(target: Target, path: str, authorizations: list[str], total: int, max_seconds: float) -> dict:
    """One keep-alive connection per authorization header, each sending the next GET as soon as answered."""
    latencies: list[float] = []
    failures = 0
    remaining = total
    deadline = time.monotonic() + max_seconds

    async def worker(authorization: str) -> None:
        nonlocal failures, remaining
        request = (
            f"GET {path} HTTP/1.1\r\nHost: localhost:{target.port}\r\nAuthorization: {authorization}\r\n"
            "Connection: keep-alive\r\n\r\n"
        ).encode()
        reader, writer = await asyncio.open_connection(target.host, target.port, ssl=target.tls)
        try:
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                started = time.perf_counter()
                writer.write(request)
                await writer.drain()
                try:
                    status = await read_response(reader)
                except ConnectionClosed:
                    failures += 1
                    return
                if status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    failures += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker(authorization) for authorization in authorizations))
    return load_figures(latencies, failures, time.monotonic() - started, f"to {target.label}{path}")


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def make_participants(base_url: str, ca_file: Path, admin_token: str) -> list[str]:
    """PARTICIPANTS login-enabled participants in project 1 of the test data; their usernames."""
    usernames = []
    for number in range(PARTICIPANTS):
        username = f"bench{number}-{int(time.time())}"
        body = {
            "participant": {
                "id_participant": 0,
                "id_project": 1,
                "participant_name": username,
                "participant_username": username,
                "participant_password": PARTICIPANT_PASSWORD,
                "participant_login_enabled": True,
                "participant_enabled": True,
            }
        }
        answer = requests.post(
            f"{base_url}/api/user/participants",
            json=body,
            headers={"Authorization": f"OpenTera {admin_token}"},
            verify=str(ca_file),
            timeout=30,
        )
        answer.raise_for_status()
        usernames.append(username)
    return usernames


def one_connection_tokens(base_url: str, verify: str | bool) -> dict[str, str]:
    """Authorization headers of the 1-connection rows on a server holding upstream's test data."""
    login = requests.get(f"{base_url}/api/user/login", auth=("admin", "admin"), verify=verify, timeout=30)
    login.raise_for_status()
    admin = "OpenTera " + login.json()["user_token"]
    device = requests.get(
        f"{base_url}/api/user/devices?id_device=1", headers={"Authorization": admin}, verify=verify, timeout=30
    )
    device.raise_for_status()
    participant = requests.get(f"{base_url}/api/participant/login", auth=TEST_PARTICIPANT, verify=verify, timeout=30)
    participant.raise_for_status()
    return {
        "user": admin,
        "device": "OpenTera " + device.json()[0]["device_token"],
        "participant": "OpenTera " + participant.json()["participant_token"],
    }


def one_connection_runs(tokens: dict[str, str]) -> list[tuple[str, list[str]]]:
    return [
        *((path, [tokens["user"]]) for path in HEAVY_USER_PATHS),
        *((path, [tokens["device"]]) for path in DEVICE_PATHS),
        *((path, [tokens["participant"]]) for path in PARTICIPANT_PATHS),
    ]


def upstream_target(url: str) -> Target:
    """Upstream's server on loopback (the load of a bench goes nowhere else), TLS without verification."""
    parsed = urlsplit(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1") or parsed.scheme not in ("http", "https"):
        raise SystemExit(f"--upstream {url!r}: give an http(s) URL on 127.0.0.1 (loopback only)")
    tls = None
    if parsed.scheme == "https":
        tls = ssl.create_default_context()
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
    return Target("upstream", parsed.hostname, parsed.port or (443 if tls else 80), tls)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per run (default 300)")
    parser.add_argument("--max-seconds", type=float, default=20, help="time limit per run (default 20)")
    parser.add_argument("--upstream", help="upstream's TeraServer on loopback, e.g. https://127.0.0.1:14040 (A/B)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    root = paths.repo_root(Path(__file__).parent)
    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack.create(root, Path(workdir), project=f"devstack-bench-heavy-{int(time.time())}")
        print("building and starting the stack, loading upstream's test data (not timed) ...", flush=True)
        stack.run("up", "--detach", "--wait", "--build", timeout=1800)
        try:
            stack.run("exec", "-T", "teraserver", "python", "-m", "teraserver.seed", timeout=300)
            ca_file = stack.copy_ca(Path(workdir) / "ca_cert.pem")
            login = requests.get(
                f"{stack.base_url}/api/user/login", auth=("admin", "admin"), verify=str(ca_file), timeout=30
            )
            login.raise_for_status()
            admin_token = login.json()["user_token"]
            usernames = make_participants(stack.base_url, ca_file, admin_token)
            target = direct_target(stack)
            participant_tokens = []
            for username in usernames:
                answer = requests.get(
                    f"{stack.base_url}/api/participant/login",
                    auth=(username, PARTICIPANT_PASSWORD),
                    verify=str(ca_file),
                    timeout=30,
                )
                answer.raise_for_status()
                participant_tokens.append("OpenTera " + answer.json()["participant_token"])
            runs = one_connection_runs(one_connection_tokens(stack.base_url, str(ca_file)))
            upstream_runs: dict[str, list[str]] = {}
            upstream = upstream_target(arguments.upstream) if arguments.upstream else None
            if upstream:
                upstream_runs = dict(one_connection_runs(one_connection_tokens(arguments.upstream, False)))
            runs.append(("/api/participant/login", [basic(name, PARTICIPANT_PASSWORD) for name in usernames]))
            runs.append(("/api/participant/participants", participant_tokens))
            print(f"\n{arguments.requests} requests per run (at most {arguments.max_seconds:.0f} s), {target.label}")
            print(
                f"{'endpoint':<42} {'conns':>5} {'ok':>5} {'failed':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
                f"{'ts cpu ms':>9}" + (f" {'upstream req/s':>14} {'x':>5}" if upstream else "")
            )
            summary = []
            for path, authorizations in runs:
                asyncio.run(closed_loop(target, path, authorizations[:4], 20, 10))  # warm-up
                cpu_before = teraserver_cpu_ns(stack)
                figures = asyncio.run(
                    closed_loop(target, path, authorizations, arguments.requests, arguments.max_seconds)
                )
                cpu_after = teraserver_cpu_ns(stack)
                cpu_ms = (
                    f"{(cpu_after - cpu_before) / 1e6 / figures['ok']:>9.2f}"
                    if cpu_before is not None and cpu_after is not None and figures["ok"]
                    else f"{'n/a':>9}"
                )
                versus = ""
                if upstream and path in upstream_runs and len(authorizations) == 1:
                    theirs = asyncio.run(
                        closed_loop(upstream, path, upstream_runs[path], arguments.requests, arguments.max_seconds)
                    )
                    ratio = figures["rps"] / theirs["rps"] if theirs["rps"] else float("inf")
                    failed = f" ({theirs['failed']} failed)" if theirs["failed"] else ""
                    versus = f" {theirs['rps']:>14.1f} {ratio:>5.1f}{failed}"
                print(
                    f"{path:<42} {len(authorizations):>5} {figures['ok']:>5} {figures['failed']:>6} "
                    f"{figures['rps']:>7.1f} {figures['p50_ms']:>7.1f} {figures['p99_ms']:>7.1f} {cpu_ms}{versus}",
                    flush=True,
                )
                if path == HEAVY_USER_PATHS[0]:
                    summary.append(
                        f"@figure {SESSIONS_FIGURE} = {figures['rps']:.0f} req/s (p99 {figures['p99_ms']:.0f} ms, "
                        f"{figures['failed']} failed)"
                    )
            print("\n".join(["", *summary]), flush=True)
        finally:
            stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
