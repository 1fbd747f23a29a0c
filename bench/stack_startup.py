"""Bench: how fast the stack starts, and how big its images are. Prints figures; asserts nothing.

  python bench/stack_startup.py

Runs a throwaway copy of the stack (its own Compose project and ports, removed at the end) and measures:
  cold start    images built, empty volumes -> `up --wait` returns (every service healthy)
  warm restart  `down` (volumes kept) -> `up --wait` returns
  TeraServer    container start -> first 200 from /api/user/login, with PostgreSQL and Redis already healthy
  image sizes   of every image the stack runs (each service of the resolved compose config)
Targets on a 2-core machine: cold <= 20 s, warm <= 10 s, TeraServer <= 3 s, TeraServer image <= 300 MB.
Every figure is also printed as an `@figure NAME = VALUE` line, which bench/run.py collects.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from devstack import paths, progress  # noqa: E402
from devstack.testing.stack import Stack  # noqa: E402


def timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def image_sizes(stack: Stack) -> dict[str, tuple[str, float]]:
    """service -> (its image, size in MB), for every service the stack runs (profiles off)."""
    sizes: dict[str, tuple[str, float]] = {}
    services = stack.compose.services()
    for service, definition in sorted(services.items()):
        image = definition.get("image")
        if not image:
            continue
        size = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Size}}", image], capture_output=True, text=True, check=True
        ).stdout.strip()
        sizes[service] = (image, int(size) / 1e6)
    return sizes


FIRST_ANSWER_LIMIT_SECONDS = 120


def teraserver_first_answer(stack: Stack) -> float:
    """Seconds from starting the TeraServer container to its first 200 on login (direct port)."""
    stack.run("stop", "teraserver")
    stack.run("start", "teraserver")
    started = time.monotonic()
    port = stack.host_port("teraserver", 4040)
    url = f"http://127.0.0.1:{port}/api/user/login"
    deadline = started + FIRST_ANSWER_LIMIT_SECONDS
    while time.monotonic() < deadline:
        try:
            # A generous timeout: a login hashes the password, which takes seconds on a starved CPU, and a
            # request cut short would never count as the first answer.
            if requests.get(url, auth=("admin", "admin"), timeout=10).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"TeraServer did not answer within {FIRST_ANSWER_LIMIT_SECONDS} s")


def report(name: str, value: str, target: str = "") -> None:
    """One figure, as soon as it is measured: for people, then as the line bench/run.py collects."""
    print(f"{name:52s} {value:>10s}" + (f"   (target {target})" if target else ""))
    print(f"@figure {name} = {value}", flush=True)


def measure(stack: Stack) -> None:
    # Heartbeats without a detail here: a `docker compose ps` every few seconds would load the
    # 2-core machine during the very start it measures.
    print("cold start ...", flush=True)
    with progress.heartbeat("cold start, waiting for `up --wait`"):
        cold = timed(lambda: stack.run("up", "--detach", "--wait"))
    report("cold start to all healthy", f"{cold:.1f} s", "<= 20 s")
    with progress.heartbeat("stopping the stack"):
        stack.run("down")
    print("warm restart ...", flush=True)
    with progress.heartbeat("warm restart, waiting for `up --wait`"):
        warm = timed(lambda: stack.run("up", "--detach", "--wait"))
    report("warm restart to all healthy", f"{warm:.1f} s", "<= 10 s")
    for service, (image, size) in image_sizes(stack).items():
        print(f"image {service}: {image}")
        report(f"image size: {service}", f"{size:.0f} MB")
    print("TeraServer start to first 200 (best of 3) ...", flush=True)
    with progress.heartbeat("restarting TeraServer and waiting for its first 200"):
        first = min(teraserver_first_answer(stack) for _ in range(3))
    report("TeraServer start to first 200", f"{first:.1f} s", "<= 3 s")


def main() -> int:
    root = paths.repo_root(Path(__file__).parent)
    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack.create(root, Path(workdir), project=f"devstack-bench-{int(time.time())}")
        print("building images (not timed) ...", flush=True)
        with progress.heartbeat("building the stack's images"):
            stack.run("build", timeout=1800)
        try:
            measure(stack)
        finally:
            with progress.heartbeat(f"removing {stack.project}"):
                stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
