"""Bench: idle memory of the whole stack, per service and in total. Prints figures; asserts nothing.

  python bench/stack_memory.py [--settle 30] [--samples 3]

Starts a throwaway copy of the stack (its own Compose project and loopback ports, removed at the end), lets
it settle with no traffic, then reads, for every running container, from the host's /proc and cgroup files:

  RSS     sum of the resident set (smaps_rollup `Rss`) of every process in the container's cgroup: what
          `ps`/`top` show. Pages shared between processes (granian's forked workers, PostgreSQL's shared
          buffers) count once per process, so this over-counts a little. The figure compared with the target.
  PSS     the same with each shared page split between the processes sharing it: the fair share, never more
          than RSS, and the best estimate of what the stack really takes from the machine.
  cgroup  the kernel's charge for the container (cgroup v2 memory.current, v1 memory.usage_in_bytes):
          RSS plus the page cache the container caused (files read, PostgreSQL's data files), which the
          kernel gives back under pressure. `docker stats` shows this minus the inactive file cache.

One-shot jobs that exited (certs, register) hold no memory and are listed as such. Each figure is the
median of `--samples` readings two seconds apart. Target: the whole stack <= 400 MB RSS.
Needs a Docker engine on this host (the container processes are read through /proc).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from devstack import paths, progress  # noqa: E402
from devstack.testing.stack import Stack  # noqa: E402

CGROUP_ROOT = Path("/sys/fs/cgroup")
SAMPLE_GAP_SECONDS = 2.0
MB = 1e6


@dataclass(frozen=True)
class ContainerMemory:
    service: str
    processes: int
    rss_bytes: int
    pss_bytes: int
    cgroup_bytes: int


def memory_cgroup_dir(pid: int) -> Path:
    """The cgroup directory holding the memory accounting of process `pid` (cgroup v1 or v2)."""
    lines = Path(f"/proc/{pid}/cgroup").read_text(encoding="utf-8").splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):  # v1: "4:memory:/docker/<id>"
            return CGROUP_ROOT / "memory" / path.lstrip("/")
    for line in lines:
        hierarchy, controllers, path = line.split(":", 2)
        if hierarchy == "0" and controllers == "":  # v2: "0::/system.slice/docker-<id>.scope"
            return CGROUP_ROOT / path.lstrip("/")
    raise RuntimeError(f"no memory cgroup for process {pid} in /proc/{pid}/cgroup")


def cgroup_usage_bytes(directory: Path) -> int:
    for name in ("memory.current", "memory.usage_in_bytes"):  # v2, then v1
        if (directory / name).is_file():
            return int((directory / name).read_text(encoding="utf-8"))
    raise RuntimeError(f"{directory} has neither memory.current nor memory.usage_in_bytes")


def rss_and_pss_bytes(pid: int) -> tuple[int, int]:
    """(Rss, Pss) of one process in bytes; (0, 0) when it ended meanwhile (a health check's shell)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="utf-8")
    except (FileNotFoundError, ProcessLookupError):
        return 0, 0
    fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in text.splitlines() if line.endswith(" kB")}
    return fields.get("Rss", 0), fields.get("Pss", 0)


def container_pids(container_id: str) -> tuple[Path, list[int]]:
    """(memory cgroup directory, host pids of every process) of a running container."""
    pid = int(
        subprocess.run(
            ["docker", "inspect", "--format", "{{.State.Pid}}", container_id],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    directory = memory_cgroup_dir(pid)
    return directory, [int(line) for line in (directory / "cgroup.procs").read_text(encoding="utf-8").split()]


def container_memory(service: str, container_id: str) -> ContainerMemory:
    directory, pids = container_pids(container_id)
    sizes = [rss_and_pss_bytes(member) for member in pids]
    return ContainerMemory(
        service,
        processes=sum(1 for rss, _ in sizes if rss),
        rss_bytes=sum(rss for rss, _ in sizes),
        pss_bytes=sum(pss for _, pss in sizes),
        cgroup_bytes=cgroup_usage_bytes(directory),
    )


def running_containers(stack: Stack) -> tuple[dict[str, str], list[str]]:
    """(service -> container id of every running container, services whose container has exited)."""
    containers = stack.compose.ps()
    running = {container.service: container.id for container in containers if container.state == "running"}
    exited = sorted(container.service for container in containers if container.state != "running")
    return running, exited


def sample(containers: dict[str, str], count: int) -> list[ContainerMemory]:
    """Per service, the median of `count` readings (each field separately)."""
    readings: dict[str, list[ContainerMemory]] = {service: [] for service in containers}
    for index in range(count):
        if index:
            time.sleep(SAMPLE_GAP_SECONDS)
        for service, container_id in containers.items():
            readings[service].append(container_memory(service, container_id))
    return [
        ContainerMemory(
            service,
            processes=round(statistics.median(item.processes for item in items)),
            rss_bytes=round(statistics.median(item.rss_bytes for item in items)),
            pss_bytes=round(statistics.median(item.pss_bytes for item in items)),
            cgroup_bytes=round(statistics.median(item.cgroup_bytes for item in items)),
        )
        for service, items in sorted(readings.items())
    ]


def print_table(measured: list[ContainerMemory], exited: list[str]) -> None:
    print(f"\n{'service':<14} {'processes':>9} {'RSS MB':>8} {'PSS MB':>8} {'cgroup MB':>10}")
    for item in measured:
        print(
            f"{item.service:<14} {item.processes:>9} {item.rss_bytes / MB:>8.1f} {item.pss_bytes / MB:>8.1f} "
            f"{item.cgroup_bytes / MB:>10.1f}"
        )
    for service in exited:
        print(f"{service:<14} {'exited: one-shot job, no memory':>39}")
    total_rss = sum(item.rss_bytes for item in measured) / MB
    total_pss = sum(item.pss_bytes for item in measured) / MB
    total_cgroup = sum(item.cgroup_bytes for item in measured) / MB
    print(f"{'whole stack':<14} {sum(item.processes for item in measured):>9} {total_rss:>8.1f} {total_pss:>8.1f} "
          f"{total_cgroup:>10.1f}")  # fmt: skip
    print(f"\nidle memory of the whole stack: {total_rss:.0f} MB RSS (target <= 400 MB), {total_pss:.0f} MB PSS, "
          f"{total_cgroup:.0f} MB charged to the containers' cgroups (with page cache)")  # fmt: skip
    print(f"@figure idle memory of the whole stack (RSS) = {total_rss:.0f} MB (PSS {total_pss:.0f} MB)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settle", type=float, default=30, help="idle seconds before measuring (default 30)")
    parser.add_argument("--samples", type=int, default=3, help="readings, 2 s apart, per figure (default 3)")
    arguments = parser.parse_args()
    if not 0 <= arguments.settle <= 600:
        parser.error(f"--settle must be between 0 and 600 seconds, not {arguments.settle}")
    if not 1 <= arguments.samples <= 20:
        parser.error(f"--samples must be between 1 and 20, not {arguments.samples}")

    root = paths.repo_root(Path(__file__).parent)
    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack.create(root, Path(workdir), project=f"devstack-bench-memory-{int(time.time())}")
        print(f"starting a throwaway stack ({stack.project}), not timed ...", flush=True)
        try:
            stack.up(sink=progress.print_line)
            with progress.heartbeat(f"letting the idle stack settle for {arguments.settle:.0f} s"):
                time.sleep(arguments.settle)
            containers, exited = running_containers(stack)
            measured = sample(containers, arguments.samples)
        finally:
            with progress.heartbeat(f"removing {stack.project}"):
                stack.down()
    print_table(measured, exited)
    return 0


if __name__ == "__main__":
    sys.exit(main())
