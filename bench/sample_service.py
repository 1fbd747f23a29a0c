"""Bench: the sample service's latency through NGINX, its image size and idle memory. Prints figures only.

  python bench/sample_service.py [--requests 400] [--max-seconds 60]

Runs a throwaway copy of the stack (its own Compose project and loopback ports, removed at the end), logs in
as admin, then measures `GET /sample/api/me` (token checked by the package's ServiceAccessManager) through
the TLS front door on 127.0.0.1 with 1 and with 16 concurrent keep-alive connections, each run bounded by a
request count and a time limit. Also prints the sample image's size, its base image's size and the
container's memory once idle.
Target: image <= 250 MB when built FROM python:3.11-slim-bookworm.
The 16-connection throughput is also printed as an `@figure NAME = VALUE` line, which bench/run.py collects.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from support.latency import load_figures  # noqa: E402

from devstack import paths, progress  # noqa: E402
from devstack.testing.stack import Stack  # noqa: E402

SERVICE = "sample"
CONCURRENCIES = (1, 16)
IDLE_SETTLE_SECONDS = 10


def run_load(url: str, token: str, ca_file: Path, connections: int, total: int, max_seconds: float) -> dict:
    """`total` requests spread over `connections` threads (one keep-alive session each), stopped at the limit."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    per_connection = max(1, total // connections)

    def worker() -> None:
        nonlocal failures
        with requests.Session() as session:
            session.headers["Authorization"] = f"OpenTera {token}"
            for _ in range(per_connection):
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    # verify per request: REQUESTS_CA_BUNDLE in the environment would override Session.verify.
                    ok = session.get(url, timeout=10, verify=str(ca_file)).status_code == 200
                except requests.RequestException:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        failures += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - started
    return load_figures(latencies, failures, duration, f"at {connections} connection(s)")


def docker_value(*arguments: str) -> str:
    return subprocess.run(["docker", *arguments], capture_output=True, text=True, check=True).stdout.strip()


def image_size_mb(image: str) -> float:
    return int(docker_value("image", "inspect", "--format", "{{.Size}}", image)) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per concurrency level (default 400)")
    parser.add_argument("--max-seconds", type=float, default=60, help="time limit per level (default 60)")
    arguments = parser.parse_args()

    root = paths.repo_root(Path(__file__).parent)
    prefix = yaml.safe_load((root / "services" / SERVICE / "service.yaml").read_text(encoding="utf-8"))["prefix"]
    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack.create(root, Path(workdir), project=f"devstack-bench-sample-{int(time.time())}")
        print("building and starting the stack (not timed) ...", flush=True)
        try:
            stack.up(sink=progress.print_line)
            ca_file = stack.copy_ca(Path(workdir) / "ca_cert.pem")
            config = stack.config()
            image = config["services"][SERVICE]["image"]
            base_image = config["services"][SERVICE]["build"]["args"]["PYTHON_IMAGE"]
            container = stack.run("ps", "-q", SERVICE).stdout.strip()

            with progress.heartbeat(f"letting {SERVICE} settle for {IDLE_SETTLE_SECONDS} s"):
                time.sleep(IDLE_SETTLE_SECONDS)
            idle_memory = docker_value("stats", "--no-stream", "--format", "{{.MemUsage}}", container)

            login = requests.get(f"{stack.base_url}/api/user/login", auth=("admin", "admin"), verify=str(ca_file))
            login.raise_for_status()
            token = login.json()["user_token"]
            url = f"{stack.base_url}{prefix}/api/me"
            with progress.heartbeat("warming up"):
                run_load(url, token, ca_file, 4, 40, 10)  # warm-up: connections, caches, thread pool

            print(f"\nGET {prefix}/api/me through NGINX (TLS, 127.0.0.1), {arguments.requests} requests per level")
            print(f"{'connections':>12} {'ok':>6} {'failed':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
            for connections in CONCURRENCIES:
                with progress.heartbeat(f"{arguments.requests} requests over {connections} connection(s)"):
                    figures = run_load(url, token, ca_file, connections, arguments.requests, arguments.max_seconds)
                print(
                    f"{connections:>12} {figures['ok']:>6} {figures['failed']:>7} {figures['rps']:>8.0f}"
                    f" {figures['p50_ms']:>8.1f} {figures['p99_ms']:>8.1f}",
                    flush=True,
                )
                busiest = figures
            sample_size, base_size = image_size_mb(image), image_size_mb(base_image)
            print(f"\nimage {image}: {sample_size:.0f} MB ({sample_size - base_size:.0f} MB on top of {base_image},")
            print(f"  {base_size:.0f} MB); target <= 250 MB on python:3.11-slim-bookworm")
            print(f"idle memory of the {SERVICE} container: {idle_memory}")
            print(
                f"@figure sample service throughput, {CONCURRENCIES[-1]} connections, through NGINX = "
                f"{busiest['rps']:.0f} req/s (p99 {busiest['p99_ms']:.0f} ms, {busiest['failed']} failed)"
            )
        finally:
            with progress.heartbeat(f"removing {stack.project}"):
                stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
