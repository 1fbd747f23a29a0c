"""Bench: from saving a file to the first new answer through NGINX, under `docker compose watch`.

  python bench/edit_to_live.py [--rounds 3]

Runs a throwaway copy of the repository and of the stack (own Compose project and ports, removed at the end)
with `docker compose watch --no-up sample`, then, each round, edits the sample service and polls its public
URL on 127.0.0.1 every 50 ms until the edit shows, and prints:
  backend edit to live     Backend/main.py written -> new version from /sample/api/version
                           (sync + restart of the service; target <= 3 s)
  frontend edit to live    Frontend/index.html written -> new page from /sample/ (sync only, no restart)
Bounded: at most 10 rounds, each edit given up after 120 s; one client, one request at a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from devstack.testing.watch import ComposeWatch, poll_until  # noqa: E402
from devstack.testing.workspace import Workspace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVICE, PREFIX = "sample", "/sample"
VERSION_FILE = "services/sample/Backend/main.py"
FRONTEND_FILE = "services/sample/Frontend/index.html"
GIVE_UP_SECONDS = 120
POLL_SECONDS = 0.05
MAX_ROUNDS = 10
FIGURE_NAME = "edit a Backend file to change live"


def version_of(response: requests.Response) -> object:
    return response.json().get("version") if response.status_code == 200 else None


def backend_round(workspace: Workspace, session: requests.Session) -> float:
    """Seconds from writing a new SERVICE_VERSION to the first answer carrying it."""
    path = workspace.root / VERSION_FILE
    text = path.read_text(encoding="utf-8")
    current = next(line for line in text.splitlines() if line.startswith("SERVICE_VERSION = "))
    marker = f"bench-{uuid.uuid4().hex[:8]}"
    path.write_text(text.replace(current, f'SERVICE_VERSION = "{marker}"'), encoding="utf-8")
    _, seconds = poll_until(
        lambda: session.get(f"{PREFIX}/api/version", timeout=5),
        lambda response: version_of(response) == marker,
        timeout=GIVE_UP_SECONDS,
        interval=POLL_SECONDS,
    )
    return seconds


def frontend_round(workspace: Workspace, session: requests.Session) -> float:
    """Seconds from appending a marker to the Frontend page to the first page carrying it."""
    path = workspace.root / FRONTEND_FILE
    marker = f"bench-{uuid.uuid4().hex[:8]}"
    path.write_text(path.read_text(encoding="utf-8") + f"<!-- {marker} -->\n", encoding="utf-8")
    _, seconds = poll_until(
        lambda: session.get(f"{PREFIX}/", timeout=5),
        lambda response: response.status_code == 200 and marker in response.text,
        timeout=GIVE_UP_SECONDS,
        interval=POLL_SECONDS,
    )
    return seconds


def summary(label: str, timings: list[float], target: str) -> str:
    return (
        f"{label:24s} {statistics.median(timings):6.2f} s   median of {len(timings)} "
        f"(min {min(timings):.2f}, max {max(timings):.2f}){target}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help=f"edits of each kind (1 to {MAX_ROUNDS})")
    rounds = max(1, min(parser.parse_args().rounds, MAX_ROUNDS))
    workspace = Workspace.create(ROOT, project_prefix="devstack-bench-edit")
    backend: list[float] = []
    frontend: list[float] = []
    try:
        print(f"starting a throwaway stack ({workspace.stack.project})...", flush=True)
        workspace.start()
        log_file = workspace.workdir / "compose-watch.log"
        command = workspace.stack.compose.command()
        with ComposeWatch(command, workspace.root, [SERVICE], log_file), workspace.session() as session:
            for index in range(rounds):
                backend.append(backend_round(workspace, session))
                frontend.append(frontend_round(workspace, session))
                print(f"round {index + 1}: backend {backend[-1]:.2f} s, frontend {frontend[-1]:.2f} s", flush=True)
    finally:
        workspace.remove()
    print(summary("backend edit to live", backend, "; target <= 3 s"))
    print(summary("frontend edit to live", frontend, ", no restart"))
    # The line bench/run.py reads into its summary table (its FIGURES name this figure).
    median, worst = statistics.median(backend), max(backend)
    print(f"@figure {FIGURE_NAME} = {median:.1f} s (median of {len(backend)}, max {worst:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
