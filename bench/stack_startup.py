"""Bench: how fast the stack starts, and how big its images are. Prints figures; asserts nothing.

  python bench/stack_startup.py

Runs a throwaway copy of the stack (its own Compose project and ports, removed at the end) and measures:
  cold start    images built, empty volumes -> `up --wait` returns (every service healthy)
  warm restart  `down` (volumes kept) -> `up --wait` returns
  TeraServer    container start -> first 200 from /api/user/login, with PostgreSQL and Redis already healthy
  image sizes   of every image the stack runs
Targets on a 2-core machine: cold <= 20 s, warm <= 10 s, TeraServer <= 3 s, TeraServer image <= 300 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from devstack import paths  # noqa: E402
from devstack.testing.stack import Stack  # noqa: E402

IMAGE_SERVICES = ("db", "redis", "certs", "teraserver", "proxy")


def timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def image_sizes(stack: Stack) -> dict[str, float]:
    """Size in MB of each service's image, keyed "service (image)"."""
    sizes: dict[str, float] = {}
    services = json.loads(stack.run("config", "--format", "json").stdout)["services"]
    for service in IMAGE_SERVICES:
        image = services[service]["image"]
        size = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Size}}", image], capture_output=True, text=True, check=True
        ).stdout.strip()
        sizes[f"{service} ({image})"] = int(size) / 1e6
    return sizes


def teraserver_first_answer(stack: Stack) -> float:
    """Seconds from starting the TeraServer container to its first 200 on login (direct port)."""
    stack.run("stop", "teraserver")
    stack.run("start", "teraserver")
    started = time.monotonic()
    port = stack.host_port("teraserver", 4040)
    url = f"http://127.0.0.1:{port}/api/user/login"
    deadline = started + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url, auth=("admin", "admin"), timeout=1).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError("TeraServer did not answer within 60 s")


def main() -> int:
    root = paths.repo_root(Path(__file__).parent)
    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack.create(root, Path(workdir), project=f"devstack-bench-{int(time.time())}")
        print("building images (not timed) ...", flush=True)
        stack.run("build", timeout=1800)
        try:
            print("cold start ...", flush=True)
            cold = timed(lambda: stack.run("up", "--detach", "--wait"))
            print("warm restart ...", flush=True)
            stack.run("down")
            warm = timed(lambda: stack.run("up", "--detach", "--wait"))
            print("TeraServer start to first 200 ...", flush=True)
            first = min(teraserver_first_answer(stack) for _ in range(3))
            sizes = image_sizes(stack)
        finally:
            stack.down()
    print()
    print(f"{'cold start to all healthy':40s} {cold:7.1f} s   (target <= 20 s)")
    print(f"{'warm restart to all healthy':40s} {warm:7.1f} s   (target <= 10 s)")
    print(f"{'TeraServer start to first 200 (best of 3)':40s} {first:7.1f} s   (target <= 3 s)")
    for name, size in sizes.items():
        print(f"{'image ' + name:52s} {size:7.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
