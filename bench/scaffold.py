"""Bench: adding a service with `devstack new`, regenerating NGINX, and reloading it under load.

  python bench/scaffold.py [--reloads 20] [--workers 4]

Runs a throwaway copy of the repository and of the stack (own Compose project and ports, removed at the
end, with the images it built) and prints:
  scaffold to first 200   `devstack new BenchService` -> first 200 of /bench/api/version through NGINX
                          (base layers cached; target <= 60 s)
  regenerate + reload     manifest change -> render, `nginx -t` in the proxy, atomic write, graceful reload
                          (median of 5; target <= 2 s)
  reloads under load      failed requests while NGINX reloads N times under a steady load of W loopback
                          clients on /bench/api/version (target 0)
Load stays on 127.0.0.1 and is bounded: W clients, for the duration of the reloads only.
Every figure is also printed as an `@figure NAME = VALUE` line, which bench/run.py collects.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from devstack import cli, manifest, progress, regenerate  # noqa: E402
from devstack.testing.stack import Stack  # noqa: E402
from devstack.testing.workspace import copy_repository  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KEY, FOLDER, PREFIX = "BenchService", "bench", "/bench"


class VerifyingSession(requests.Session):
    """Trusts the stack's CA on every request: requests lets REQUESTS_CA_BUNDLE override Session.verify.

    `retry_dropped`: retry a GET once when the server closed a kept-alive connection just as it was reused
    (what browsers do, RFC 9110 9.2.2), the race a graceful reload opens when old workers close idle ones.
    """

    def __init__(self, ca_file: Path, retry_dropped: bool = False) -> None:
        super().__init__()
        self.ca_file = str(ca_file)
        if retry_dropped:
            retry = Retry(total=1, connect=1, read=1, status=0, other=0, backoff_factor=0)
            self.mount("https://", HTTPAdapter(max_retries=retry))

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("verify", self.ca_file)
        return super().request(method, url, *args, **kwargs)


def wait_for_200(session: requests.Session, url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = session.get(url, timeout=5)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except requests.RequestException as error:
            last = str(error)
        time.sleep(0.2)
    raise RuntimeError(f"{url} never answered 200 (last: {last})")


def scaffold_to_first_200(session: requests.Session, url: str) -> float:
    started = time.monotonic()
    if cli.main(["new", KEY]) != 0:
        raise RuntimeError("devstack new failed")
    with progress.heartbeat(f"waiting for the first 200 from {url}"):
        wait_for_200(session, url)
    return time.monotonic() - started


def regenerate_seconds(root: Path, rounds: int = 5) -> list[float]:
    """Alternate the service's body size so every round changes its NGINX file, checks it and reloads."""
    path = root / "services" / FOLDER / manifest.MANIFEST_NAME
    original = path.read_text(encoding="utf-8")
    timings = []
    for index in range(rounds):
        size = f"{10 + index % 2}M"
        path.write_text(original.replace("client_max_body_size: 100M", f"client_max_body_size: {size}"), "utf-8")
        started = time.monotonic()
        outcome = regenerate.apply_checked(root, manifest.load_all(root))
        timings.append(time.monotonic() - started)
        if not outcome.reloaded:
            raise RuntimeError("NGINX was not reloaded")
    path.write_text(original, encoding="utf-8")
    regenerate.apply_checked(root, manifest.load_all(root))
    return timings


def reloads_under_load(
    stack: Stack, session_factory: Callable[[], requests.Session], url: str, reloads: int, workers: int
) -> tuple[int, int]:
    """(requests sent, requests failed) while NGINX reloads `reloads` times."""
    stop = threading.Event()
    counts = {"sent": 0, "failed": 0}
    kinds: Counter[str] = Counter()
    lock = threading.Lock()

    def client() -> None:
        session = session_factory()
        while not stop.is_set():
            kind = None
            try:
                status = session.get(url, timeout=10).status_code
                kind = None if status == 200 else f"HTTP {status}"
            except requests.RequestException as error:
                kind = type(error).__name__ + ": " + str(error)[-80:]
            with lock:
                counts["sent"] += 1
                if kind is not None:
                    counts["failed"] += 1
                    kinds[kind] += 1

    threads = [threading.Thread(target=client) for _ in range(workers)]
    for thread in threads:
        thread.start()
    try:
        with progress.heartbeat(f"{reloads} NGINX reloads under the load of {workers} clients"):
            time.sleep(1)
            for _ in range(reloads):
                stack.run("exec", "-T", "proxy", "nginx", "-s", "reload")
                time.sleep(0.5)
            time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    for kind, count in kinds.most_common():
        print(f"  failure: {count} x {kind}")
    return counts["sent"], counts["failed"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reloads", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="concurrent loopback clients (at most 16)")
    args = parser.parse_args()
    workers = max(1, min(args.workers, 16))
    with tempfile.TemporaryDirectory(prefix="devstack-bench-scaffold-") as workdir:
        root = copy_repository(ROOT, Path(workdir) / "repo")
        os.environ["DEVSTACK_ROOT"] = str(root)
        stack = Stack.create(root, Path(workdir), project=f"devstack-bench-scaffold-{os.getpid()}")
        os.environ["COMPOSE_PROJECT_NAME"] = stack.project
        try:
            print(f"starting a throwaway stack ({stack.project})...", flush=True)
            stack.up(sink=progress.print_line)
            ca = stack.copy_ca(Path(workdir) / "ca_cert.pem")

            def make_session() -> requests.Session:
                return VerifyingSession(ca)

            url = f"{stack.base_url}{PREFIX}/api/version"
            scaffold = scaffold_to_first_200(make_session(), url)
            timings = regenerate_seconds(root)
            print("plain clients (no retry):")
            sent, failed = reloads_under_load(stack, make_session, url, args.reloads, workers)
            print("browser-like clients (one retry of a GET on a dropped kept-alive connection):")
            sent_retry, failed_retry = reloads_under_load(
                stack, lambda: VerifyingSession(ca, retry_dropped=True), url, args.reloads, workers
            )
        finally:
            with progress.heartbeat(f"removing {stack.project} and the {FOLDER} image"):
                stack.down()  # removes the images the project built, the scaffolded service's included
    print(f"scaffold to first 200      {scaffold:6.1f} s   (target <= 60 s)")
    print(
        f"regenerate + reload        {statistics.median(timings):6.2f} s   median of {len(timings)} "
        f"(min {min(timings):.2f}, max {max(timings):.2f}; target <= 2 s)"
    )
    print(f"reloads under load         {failed} failed of {sent} requests during {args.reloads} reloads, "
          f"{workers} clients without retries (target 0)")  # fmt: skip
    print(f"                           {failed_retry} failed of {sent_retry} with browser-like clients "
          "(one retry on a dropped kept-alive connection)")  # fmt: skip
    print(f"@figure scaffold to first 200 = {scaffold:.1f} s")
    print(f"@figure regenerate + reload NGINX = {statistics.median(timings):.2f} s")
    print(f"@figure failed requests during NGINX reloads, plain clients = {failed} of {sent}")
    print(f"@figure failed requests during NGINX reloads, browser-like clients = {failed_retry} of {sent_retry}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
