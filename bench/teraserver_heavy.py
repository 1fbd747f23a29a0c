"""Bench: TeraServer's heavy endpoints and the participant API, on upstream's test data. Prints figures only.

  python bench/teraserver_heavy.py [--requests 300] [--max-seconds 20] [--rounds 3]
                                   [--upstream https://127.0.0.1:14040]

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
A/B of the issue's "5x upstream" target in one run. Only a loopback address is accepted. Each 1-connection row
runs `--rounds` times, ours then upstream's in turn (interleaved, so that a slow phase of a shared machine
falls on both sides); the table gives the median rate of each side, their ratio and the lowest and highest
ratio of a single round. Before measuring, each row's request is asked once of both servers and the rows
of both answers counted (a list's length; an object's lists and objects by name): a row whose two sides do
not list as many rows is not the same request on the same data, and is flagged `MISMATCH`. So that ours holds
the test data as upstream's does, the 16 participants of the 16-connection rows are only added after the
1-connection rows.

`ts cpu ms` is the TeraServer container's CPU time per successful request, the figure to compare between two
versions on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import ssl
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import InsecureRequestWarning

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from support.latency import load_figures  # noqa: E402
from teraserver_api import ConnectionClosed, Target, direct_target, read_response, teraserver_cpu_ns  # noqa: E402

from devstack import paths  # noqa: E402
from devstack.testing.stack import Stack, as_configured_by_default  # noqa: E402

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


def make_participants(base_url: str, admin_token: str) -> list[str]:
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
            timeout=30,
        )
        answer.raise_for_status()
        usernames.append(username)
    return usernames


def loopback_get(url: str, verify: str | bool, **options: Any) -> requests.Response:
    """GET on one of the two servers: ours (verified against the stack's CA) or upstream's on loopback, whose
    self-signed certificate is not verified (verify=False), without urllib3's warning at every request."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureRequestWarning)
        return requests.get(url, verify=verify, timeout=30, **options)


def one_connection_tokens(base_url: str, verify: str | bool) -> dict[str, str]:
    """Authorization headers of the 1-connection rows on a server holding upstream's test data."""
    login = loopback_get(f"{base_url}/api/user/login", verify, auth=("admin", "admin"))
    login.raise_for_status()
    admin = "OpenTera " + login.json()["user_token"]
    device = loopback_get(f"{base_url}/api/user/devices?id_device=1", verify, headers={"Authorization": admin})
    device.raise_for_status()
    participant = loopback_get(f"{base_url}/api/participant/login", verify, auth=TEST_PARTICIPANT)
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
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each 1-connection row, alternating with upstream (default 3)"
    )
    parser.add_argument("--upstream", help="upstream's TeraServer on loopback, e.g. https://127.0.0.1:14040 (A/B)")
    arguments = parser.parse_args(argv)
    if arguments.rounds < 1:
        parser.error(f"--rounds {arguments.rounds}: give at least 1")
    return arguments


def row_counts(answer: Any) -> str:
    """The rows a JSON answer lists: a list's length; for an object, each member list's length and each member
    object as 1 (`device_info=1 participants_info=3`); scalars are not rows."""
    if isinstance(answer, list):
        return str(len(answer))
    if isinstance(answer, dict):
        members = [
            f"{name}={len(value) if isinstance(value, list) else 1}"
            for name, value in sorted(answer.items())
            if isinstance(value, list | dict)
        ]
        return " ".join(members) or "0"
    return "0"


def answer_rows(target: Target, path: str, authorization: str) -> str:
    """row_counts of one GET of path on target."""
    scheme = "https" if target.tls else "http"
    answer = loopback_get(
        f"{scheme}://{target.host}:{target.port}{path}", False, headers={"Authorization": authorization}
    )
    if answer.status_code != 200:
        return f"HTTP {answer.status_code}"
    return row_counts(answer.json())


def measure(target: Target, path: str, authorizations: list[str], arguments: argparse.Namespace) -> dict:
    return asyncio.run(closed_loop(target, path, authorizations, arguments.requests, arguments.max_seconds))


def median_figures(runs: list[dict]) -> dict:
    """One row from several runs: the median rate and latencies, the sums of ok and failed."""
    return {
        "ok": sum(run["ok"] for run in runs),
        "failed": sum(run["failed"] for run in runs),
        "rps": statistics.median(run["rps"] for run in runs),
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
    }


def cpu_column(cpu_ns: int | None, ok: int) -> str:
    return f"{cpu_ns / 1e6 / ok:>9.2f}" if cpu_ns is not None and ok else f"{'n/a':>9}"


def row_line(path: str, connections: int, figures: dict, cpu: str) -> str:
    return (
        f"{path:<42} {connections:>5} {figures['ok']:>5} {figures['failed']:>6} {figures['rps']:>7.1f} "
        f"{figures['p50_ms']:>7.1f} {figures['p99_ms']:>7.1f} {cpu}"
    )


def one_connection_row(
    stack: Stack,
    target: Target,
    upstream: Target | None,
    path: str,
    ours: str,
    theirs: str | None,
    arguments: argparse.Namespace,
) -> tuple[str, dict, bool]:
    """A 1-connection row: --rounds runs of ours, each followed by one of upstream's when there is one.
    Returns the printed line, our figures, and whether the two sides listed different rows."""
    compared = upstream is not None and theirs is not None
    if compared:
        mine, other = answer_rows(target, path, ours), answer_rows(upstream, path, theirs)
    asyncio.run(closed_loop(target, path, [ours], 20, 10))  # warm-up
    if compared:
        asyncio.run(closed_loop(upstream, path, [theirs], 20, 10))
    our_runs, their_runs, cpu_ns = [], [], 0
    for _ in range(arguments.rounds):
        cpu_before = teraserver_cpu_ns(stack)
        our_runs.append(measure(target, path, [ours], arguments))
        cpu_after = teraserver_cpu_ns(stack)
        if cpu_ns is not None and cpu_before is not None and cpu_after is not None:
            cpu_ns += cpu_after - cpu_before
        else:
            cpu_ns = None
        if compared:
            their_runs.append(measure(upstream, path, [theirs], arguments))
    figures = median_figures(our_runs)
    line = row_line(path, 1, figures, cpu_column(cpu_ns, figures["ok"]))
    mismatch = False
    if compared:
        theirs_figures = median_figures(their_runs)
        ratios = [run["rps"] / their["rps"] for run, their in zip(our_runs, their_runs, strict=True)]
        ratio = figures["rps"] / theirs_figures["rps"]
        failed = f" ({theirs_figures['failed']} failed)" if theirs_figures["failed"] else ""
        mismatch = mine != other
        flag = "  MISMATCH" if mismatch else ""
        line += (
            f" {theirs_figures['rps']:>14.1f} {ratio:>5.1f} {min(ratios):>4.1f}-{max(ratios):<4.1f}"
            f"  rows {mine} / {other}{flag}{failed}"
        )
    return line, figures, mismatch


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    upstream = upstream_target(arguments.upstream) if arguments.upstream else None
    root = paths.repo_root(Path(__file__).parent)
    with tempfile.TemporaryDirectory() as workdir:
        # Timed as people run it: logins at bcrypt's cost 12, websockets pinged every 10 s (the test kit's
        # stacks lower both for speed).
        stack = Stack.create(
            root,
            Path(workdir),
            project=f"devstack-bench-heavy-{int(time.time())}",
            overrides=as_configured_by_default(),
        )
        print("building and starting the stack, loading upstream's test data (not timed) ...", flush=True)
        stack.run("up", "--detach", "--wait", "--build", timeout=1800)
        try:
            seeded = stack.run("exec", "-T", "teraserver", "python", "-m", "teraserver.seed", timeout=300, check=False)
            if seeded.returncode != 0:
                raise SystemExit(f"loading upstream's test data failed: {seeded.stderr.strip()[-2000:]}")
            ca_file = stack.copy_ca(Path(workdir) / "ca_cert.pem")
            target = direct_target(stack)
            runs = one_connection_runs(one_connection_tokens(stack.base_url, str(ca_file)))
            upstream_runs: dict[str, list[str]] = {}
            if upstream:
                upstream_runs = dict(one_connection_runs(one_connection_tokens(arguments.upstream, False)))
            rounds = f"{arguments.rounds} round{'s' if arguments.rounds > 1 else ''}"
            print(
                f"\n{arguments.requests} requests per run (at most {arguments.max_seconds:.0f} s), {target.label}; "
                f"1-connection rows: median of {rounds}" + (", each ours then upstream's" if upstream else "")
            )
            print(
                f"{'endpoint':<42} {'conns':>5} {'ok':>5} {'failed':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
                f"{'ts cpu ms':>9}"
                + (f" {'upstream req/s':>14} {'x':>5} {'x range':>9}  rows ours / upstream" if upstream else "")
            )
            summary, mismatched = [], []
            for path, authorizations in runs:
                theirs = upstream_runs.get(path, [None])[0]
                line, figures, mismatch = one_connection_row(
                    stack, target, upstream, path, authorizations[0], theirs, arguments
                )
                print(line, flush=True)
                if mismatch:
                    mismatched.append(path)
                if path == HEAVY_USER_PATHS[0]:
                    summary.append(
                        f"@figure {SESSIONS_FIGURE} = {figures['rps']:.0f} req/s (p99 {figures['p99_ms']:.0f} ms, "
                        f"{figures['failed']} failed)"
                    )
            # The 16-connection rows' participants, added only now: the rows above see upstream's data as it is.
            # Directly on TeraServer, as the measured requests.
            direct_url = f"http://{target.host}:{target.port}"
            login = requests.get(f"{direct_url}/api/user/login", auth=("admin", "admin"), timeout=30)
            login.raise_for_status()
            usernames = make_participants(direct_url, login.json()["user_token"])
            participant_tokens = []
            for username in usernames:
                answer = requests.get(
                    f"{direct_url}/api/participant/login", auth=(username, PARTICIPANT_PASSWORD), timeout=30
                )
                answer.raise_for_status()
                participant_tokens.append("OpenTera " + answer.json()["participant_token"])
            many = [
                ("/api/participant/login", [basic(name, PARTICIPANT_PASSWORD) for name in usernames]),
                ("/api/participant/participants", participant_tokens),
            ]
            for path, authorizations in many:
                asyncio.run(closed_loop(target, path, authorizations[:4], 20, 10))  # warm-up
                cpu_before = teraserver_cpu_ns(stack)
                figures = measure(target, path, authorizations, arguments)
                cpu_after = teraserver_cpu_ns(stack)
                cpu_ns = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
                print(row_line(path, len(authorizations), figures, cpu_column(cpu_ns, figures["ok"])), flush=True)
            if mismatched:
                summary.append(
                    f"MISMATCH: not the same rows on both sides, ratio not comparable: {', '.join(mismatched)}"
                )
            print("\n".join(["", *summary]), flush=True)
        finally:
            stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
