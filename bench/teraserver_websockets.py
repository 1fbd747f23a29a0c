"""Bench: TeraServer's websockets: memory with 500 idle sockets, event fan-out latency to 100. Prints figures only.

  python bench/teraserver_websockets.py [--sockets 500] [--fanout-clients 100] [--rounds 50]

Runs a throwaway copy of the stack (its own Compose project and loopback ports, removed at the end), creates
one site, one project and `--sockets` participants with a static token through the user API (admin), then,
all on 127.0.0.1 and bounded in count and time:

* Memory. Each participant logs in (`GET /api/participant/login?with_websocket=true` with its static token,
  no password check) and opens the `/wss/participant` websocket of its one-time URL through NGINX (TLS), as
  a browser does (permessage-deflate offered, which the server declines as upstream's does; no client pings:
  the server pings every 10 s, the production default this bench sets). The sockets stay
  idle for `--hold` seconds, then TeraServer's memory is read, as it was before the first socket opened: the
  container as `docker stats` counts it (cgroup charge minus inactive page cache), the RSS sum of its
  processes, and the RSS of the websocket process (`teraserver-wss`) alone; NGINX's container
  too. Each figure is the median of 3 readings 2 s apart, read from the host's /proc and cgroup files.
  Targets: 100 kB per socket over the idle container and process, so <= 300 MB and <= 150 MB with 500.
* Fan-out. All but `--fanout-clients` sockets are closed; a "service" (this script, on the stack's Redis)
  publishes `--rounds` rounds of events (after 5 warm-up rounds), each round once every client got the
  previous one:
  - invite: one TeraEvent with a JoinSessionEvent inviting every client, published on each client's
    `websocket.participant.<uuid>.events` (one pipelined batch of PUBLISH), as a service starting a session
    with everyone does. The figure.
  - stop, per client: a StopSessionEvent (small) on each client's topic.
  - broadcast: one StopSessionEvent on `module.TeraServer.UserManagerModule.events`, which every socket gets.
  Each kind runs on two routes: through NGINX (as a browser; the figure), and straight to the websocket
  process's port in the container (ws://, no TLS), which tells NGINX's share apart. `pb bytes`: the size of
  one published TeraEvent; CPU columns: per round, the websocket process's (from the host's /proc) and this
  script's.
  Latency: from just before the batch is sent to Redis to the client's receipt of the event (the round is
  named in the event's session uuid), so it counts the Redis hop, the server's filtering and JSON encoding,
  NGINX and the client's own TLS and frame reading; the client shares the machine's 2 cores with the stack.
  Target: p99 < 50 ms.

The protobuf messages are encoded by devstack.testing.protobuf (no protobuf package needed here).
Needs a Docker engine on this host (the container processes are read through /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis
import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from stack_memory import cgroup_usage_bytes, container_pids, rss_and_pss_bytes  # noqa: E402
from support.latency import percentile  # noqa: E402

from devstack import paths, progress  # noqa: E402
from devstack.testing.protobuf import join_session_event, stop_session_event, tera_event  # noqa: E402
from devstack.testing.stack import Stack, as_configured_by_default  # noqa: E402

MB = 1e6
# The rows of bench/run.py's summary (and of docs/performance.md's table) this script measures.
CONTAINER_FIGURE = "TeraServer container memory with 500 idle websockets"
PROCESS_FIGURE = "TeraServer websocket process RSS with 500 idle websockets"
FANOUT_FIGURE = "websocket event fan-out p99, 100 clients, through NGINX"
FANOUT_TARGET_MS = 50
USER_MANAGER_EVENTS = "module.TeraServer.UserManagerModule.events"
CLIENT_TOPIC = "websocket.participant.{uuid}.events"
PRESENCE_KEY = "TeraServer.presence.participant"
WARMUP_ROUNDS = 5
ROUND_TIMEOUT = 5.0  # seconds a round waits for its last client
ROUND_GAP = 0.05  # seconds between rounds
LOGINS_AT_ONCE = 8
WEBSOCKET_PORT = 4044  # the websocket process, inside the teraserver container
ROUND_IN_EVENT = re.compile(r'"sessionUuid": "(bench-[a-z-]+-\d+)"')


# --- memory ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Memory:
    stats_bytes: int  # as `docker stats`: cgroup charge minus inactive page cache
    rss_bytes: int  # RSS sum of the container's processes
    websocket_rss_bytes: int  # RSS of the websocket process (0 when not found)


def inactive_file_bytes(directory: Path) -> int:
    """The inactive page cache of a cgroup (memory.stat: v1 total_inactive_file, v2 inactive_file)."""
    fields = dict(line.split() for line in (directory / "memory.stat").read_text(encoding="utf-8").splitlines())
    return int(fields.get("total_inactive_file", fields.get("inactive_file", 0)))


def is_websocket_process(pid: int) -> bool:
    """TeraServer names its forked websocket process `teraserver-wss`; run alone it is `-m teraserver.realtime`."""
    try:
        name = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return name == "teraserver-wss" or b"teraserver.realtime" in arguments


def websocket_pid(container_id: str) -> int | None:
    return next((pid for pid in container_pids(container_id)[1] if is_websocket_process(pid)), None)


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a host process so far (0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_memory(container_id: str) -> Memory:
    directory, pids = container_pids(container_id)
    rss = {member: rss_and_pss_bytes(member)[0] for member in pids}
    return Memory(
        stats_bytes=cgroup_usage_bytes(directory) - inactive_file_bytes(directory),
        rss_bytes=sum(rss.values()),
        websocket_rss_bytes=sum(size for member, size in rss.items() if is_websocket_process(member)),
    )


def sample_memory(container_id: str, count: int = 3) -> Memory:
    """Median of `count` readings 2 s apart, field by field."""
    readings = []
    for index in range(count):
        if index:
            time.sleep(2.0)
        readings.append(read_memory(container_id))
    return Memory(
        stats_bytes=round(statistics.median(item.stats_bytes for item in readings)),
        rss_bytes=round(statistics.median(item.rss_bytes for item in readings)),
        websocket_rss_bytes=round(statistics.median(item.websocket_rss_bytes for item in readings)),
    )


# --- setup through the API ------------------------------------------------------------------------------------
@dataclass
class Api:
    base_url: str
    ca_file: Path
    admin_token: str
    local: threading.local = field(default_factory=threading.local)

    def session(self) -> requests.Session:
        """One keep-alive session per thread."""
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def post(self, path: str, body: dict) -> dict:
        answer = self.session().post(
            f"{self.base_url}{path}",
            json=body,
            headers={"Authorization": f"OpenTera {self.admin_token}"},
            verify=str(self.ca_file),
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()[0]

    def participant_login(self, token: str, number: int) -> str:
        """The one-time websocket URL of a static-token login asking for one."""
        answer = self.session().get(
            f"{self.base_url}/api/participant/login",
            params={"with_websocket": "true"},
            headers={"Authorization": f"OpenTera {token}", "User-Agent": f"bench-websockets/{number}"},
            verify=str(self.ca_file),
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["websocket_url"]


@dataclass(frozen=True)
class Participant:
    uuid: str
    token: str


def make_participants(api: Api, count: int, max_seconds: float) -> list[Participant]:
    """`count` participants with a static token in a new project, created by the admin through the user API."""
    stamp = int(time.time())
    site = api.post("/api/user/sites", {"site": {"id_site": 0, "site_name": f"Websocket bench {stamp}"}})
    project = api.post(
        "/api/user/projects",
        {"project": {"id_project": 0, "id_site": site["id_site"], "project_name": f"Websocket bench {stamp}"}},
    )
    deadline = time.monotonic() + max_seconds

    def create(number: int) -> Participant:
        if time.monotonic() > deadline:
            raise TimeoutError(f"creating {count} participants took more than {max_seconds:.0f} s")
        row = api.post(
            "/api/user/participants",
            {
                "participant": {
                    "id_participant": 0,
                    "id_project": project["id_project"],
                    "participant_name": f"ws-bench-{number}",
                    "participant_enabled": True,
                    "participant_token_enabled": True,
                }
            },
        )
        return Participant(row["participant_uuid"], row["participant_token"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(create, range(count)))


# --- websocket clients ----------------------------------------------------------------------------------------
@dataclass(eq=False)
class Client:
    participant: Participant
    socket: ClientConnection
    reader: asyncio.Task | None = None


class Rounds:
    """Send times of the rounds in flight, and the receipt latencies of the measured ones."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.sent: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.done: dict[str, asyncio.Event] = {}
        self.measured: set[str] = set()
        self.latencies: list[float] = []
        self.other_messages = 0

    def start(self, name: str, measured: bool) -> asyncio.Event:
        self.counts[name] = 0
        self.done[name] = asyncio.Event()
        if measured:
            self.measured.add(name)
        return self.done[name]

    def received(self, message: str | bytes) -> None:
        now = time.perf_counter()
        text = message.decode() if isinstance(message, bytes) else message
        found = ROUND_IN_EVENT.search(text)
        if found is None or found[1] not in self.sent:
            self.other_messages += 1
            return
        name = found[1]
        if name in self.measured:
            self.latencies.append(now - self.sent[name])
        self.counts[name] += 1
        if self.counts[name] == self.clients:
            self.done[name].set()


async def read_events(client: Client, rounds: list[Rounds]) -> None:
    try:
        async for message in client.socket:
            if rounds:
                rounds[-1].received(message)
    except ConnectionClosed:
        pass


@dataclass(frozen=True)
class Route:
    """How clients reach the websocket server: through NGINX (TLS), or straight to its container port."""

    label: str
    ssl_context: ssl.SSLContext | None
    direct_host: str | None = None  # the teraserver container's address, for a direct route
    compression: str | None = "deflate"  # permessage-deflate offered, as browsers do

    def url(self, login_url: str) -> str:
        if self.direct_host is None:
            return login_url
        path = login_url.split("/wss/", 1)[1]
        return f"ws://{self.direct_host}:{WEBSOCKET_PORT}/wss/{path}"


async def open_clients(api: Api, participants: list[Participant], route: Route) -> list[Client]:
    """Log each participant in and open its websocket at once (the URL's id lives 60 s), a few at a time."""
    gate = asyncio.Semaphore(LOGINS_AT_ONCE)

    async def open_one(number: int, participant: Participant) -> Client:
        async with gate:
            url = await asyncio.to_thread(api.participant_login, participant.token, number)
            options = {"ssl": route.ssl_context, "host": "127.0.0.1"} if route.direct_host is None else {}
            connection = await connect(
                route.url(url),
                # The URL names localhost, where NGINX listens on 127.0.0.1 only.
                **options,
                user_agent_header=f"bench-websockets/{number}",
                compression=route.compression,
                ping_interval=None,  # as a browser: only the server pings
                open_timeout=30,
            )
            return Client(participant, connection)

    return list(await asyncio.gather(*(open_one(number, p) for number, p in enumerate(participants))))


def container_address(stack: Stack, port: int) -> str | None:
    """The teraserver container's address on its Compose network, when this host reaches `port` there."""
    inspected = subprocess.run(
        ["docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"]
        + [container_id(stack, "teraserver")],
        capture_output=True,
        text=True,
        check=False,
    )
    for address in inspected.stdout.split():
        try:
            socket.create_connection((address, port), timeout=1).close()
        except OSError:
            continue
        return address
    return None


async def close_clients(clients: list[Client]) -> None:
    await asyncio.gather(*(client.socket.close() for client in clients), return_exceptions=True)
    for client in clients:
        if client.reader is not None:
            client.reader.cancel()


async def wait_for_presence(client: aioredis.Redis, count: int, max_seconds: float) -> int:
    """Sockets the server records (presence entries), once they are `count` or after `max_seconds`."""
    deadline = time.monotonic() + max_seconds
    while True:
        recorded = await client.zcard(PRESENCE_KEY)
        if recorded == count or time.monotonic() > deadline:
            return recorded
        await asyncio.sleep(0.2)


# --- fan-out --------------------------------------------------------------------------------------------------
def round_batch(mode: str, name: str, uuids: list[str]) -> list[tuple[str, bytes]]:
    """(topic, payload) to publish for one round of that mode."""
    if mode == "broadcast":
        return [(USER_MANAGER_EVENTS, tera_event(USER_MANAGER_EVENTS, time.time(), stop_session_event(name)))]
    event = join_session_event(name, participants=uuids) if mode == "invite" else stop_session_event(name)
    topics = [CLIENT_TOPIC.format(uuid=uuid) for uuid in uuids]
    return [(topic, tera_event(topic, time.time(), event)) for topic in topics]


async def fan_out(
    redis_client: aioredis.Redis,
    clients: list[Client],
    tracker: list[Rounds],
    mode: str,
    rounds: int,
    server: int | None,
) -> dict:
    uuids = [client.participant.uuid for client in clients]
    record = Rounds(len(clients))
    tracker.append(record)
    lost = 0
    started = time.monotonic()
    server_cpu, client_cpu = 0.0, 0.0
    for number in range(WARMUP_ROUNDS + rounds):
        if number == WARMUP_ROUNDS:
            server_cpu, client_cpu = process_cpu_seconds(server), time.process_time()
        name = f"bench-{mode.replace(' ', '-')}-{number}"
        batch = round_batch(mode, name, uuids)
        done = record.start(name, measured=number >= WARMUP_ROUNDS)
        pipe = redis_client.pipeline(transaction=False)
        for topic, payload in batch:
            pipe.publish(topic, payload)
        record.sent[name] = time.perf_counter()
        await pipe.execute()
        try:
            await asyncio.wait_for(done.wait(), ROUND_TIMEOUT)
        except TimeoutError:
            if number >= WARMUP_ROUNDS:
                lost += len(clients) - record.counts[name]
        await asyncio.sleep(ROUND_GAP)
    latencies = record.latencies
    server_cpu = process_cpu_seconds(server) - server_cpu
    client_cpu = time.process_time() - client_cpu
    return {
        "server_cpu_ms": server_cpu * 1000 / rounds if server is not None else float("nan"),
        "client_cpu_ms": client_cpu * 1000 / rounds,
        "mode": mode,
        "events": len(latencies),
        "lost": lost,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": percentile(latencies, 0.99) * 1000 if latencies else float("nan"),
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "seconds": time.monotonic() - started,
        "bytes": len(batch[0][1]),
    }


# --- the run --------------------------------------------------------------------------------------------------
def container_id(stack: Stack, service: str) -> str:
    return stack.run("ps", "--quiet", service).stdout.strip()


async def measure(stack: Stack, api: Api, participants: list[Participant], arguments: argparse.Namespace) -> None:
    ssl_context = ssl.create_default_context(cafile=str(api.ca_file))
    teraserver, proxy = container_id(stack, "teraserver"), container_id(stack, "proxy")
    redis_client = aioredis.Redis(
        host="127.0.0.1", port=stack.host_port("redis", 6379), password=stack.values()["REDIS_PASSWORD"]
    )
    tracker: list[Rounds] = []
    clients: list[Client] = []
    try:
        before = await asyncio.to_thread(sample_memory, teraserver)
        proxy_before = await asyncio.to_thread(sample_memory, proxy)

        memory_route = Route("through NGINX", ssl_context)
        started = time.monotonic()
        with progress.heartbeat(f"logging in {len(participants)} participants and opening their websockets"):
            clients = await asyncio.wait_for(open_clients(api, participants, memory_route), 120)
        opening = time.monotonic() - started
        for client in clients:
            client.reader = asyncio.create_task(read_events(client, tracker))
        recorded = await wait_for_presence(redis_client, len(clients), 20)
        print(
            f"{len(clients)} websockets open in {opening:.1f} s (login + handshake, {LOGINS_AT_ONCE} at a time, "
            f"permessage-deflate offered); the server records {recorded}",
            flush=True,
        )
        with progress.heartbeat(f"holding {len(clients)} idle websockets for {arguments.hold:.0f} s"):
            await asyncio.sleep(arguments.hold)
            during = await asyncio.to_thread(sample_memory, teraserver)
            proxy_during = await asyncio.to_thread(sample_memory, proxy)
        still_open = sum(1 for client in clients if client.socket.close_code is None)

        print(f"\n{'':<24} {'teraserver (docker stats)':>26} {'teraserver RSS sum':>19} {'websocket RSS':>14} "
              f"{'proxy (docker stats)':>21}")  # fmt: skip
        for label, memory, proxy_memory in (
            ("no websocket", before, proxy_before),
            (f"{len(clients)} idle websockets", during, proxy_during),
        ):
            print(
                f"{label:<24} {memory.stats_bytes / MB:>23.1f} MB {memory.rss_bytes / MB:>16.1f} MB "
                f"{memory.websocket_rss_bytes / MB:>11.1f} MB {proxy_memory.stats_bytes / MB:>18.1f} MB"
            )
        per_socket = (during.websocket_rss_bytes - before.websocket_rss_bytes) / max(1, len(clients)) / 1e3
        print(
            f"websocket process: {per_socket:.1f} kB more per socket; {still_open} of {len(clients)} sockets still "
            f"open after {arguments.hold:.0f} s idle",
            flush=True,
        )

        await close_clients(clients)
        await wait_for_presence(redis_client, 0, 20)

        print(
            f"\nfan-out to {arguments.fanout_clients} clients, {arguments.rounds} rounds per kind after "
            f"{WARMUP_ROUNDS} warm-up rounds, each round once the previous one reached every client; CPU per round "
            "of the websocket process (server) and of this script (client: publishing, TLS, frames, inflating)"
        )
        print(f"{'route':<30} {'events':<16} {'pb bytes':>8} {'received':>8} {'lost':>5} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'max ms':>7} {'server cpu ms':>13} {'client cpu ms':>13}")  # fmt: skip
        address = container_address(stack, WEBSOCKET_PORT)
        routes = [Route("through NGINX", ssl_context)]
        if address is not None:
            routes.append(Route("direct", None, address))
        server = websocket_pid(teraserver)
        results = {}
        for route in routes:
            clients = await asyncio.wait_for(open_clients(api, participants[: arguments.fanout_clients], route), 60)
            for client in clients:
                client.reader = asyncio.create_task(read_events(client, tracker))
            await wait_for_presence(redis_client, len(clients), 20)
            await asyncio.sleep(1.0)  # the CONNECTED events delivered
            for mode in ("invite", "stop per client", "broadcast"):
                result = await fan_out(redis_client, clients, tracker, mode, arguments.rounds, server)
                results[route.label, mode] = result
                print(
                    f"{route.label:<30} {mode:<16} {result['bytes']:>8} {result['events']:>8} {result['lost']:>5} "
                    f"{result['p50_ms']:>7.1f} {result['p99_ms']:>7.1f} {result['max_ms']:>7.1f} "
                    f"{result['server_cpu_ms']:>13.1f} {result['client_cpu_ms']:>13.1f}",
                    flush=True,
                )
            await close_clients(clients)
            await wait_for_presence(redis_client, 0, 20)
        invite = results["through NGINX", "invite"]
        print(
            "\n"
            f"@figure {CONTAINER_FIGURE} = {during.stats_bytes / MB:.0f} MB as docker stats counts it "
            f"({before.stats_bytes / MB:.0f} MB without; RSS sum {during.rss_bytes / MB:.0f} MB)\n"
            f"@figure {PROCESS_FIGURE} = {during.websocket_rss_bytes / MB:.0f} MB "
            f"({before.websocket_rss_bytes / MB:.0f} MB without, {per_socket:.0f} kB per socket)\n"
            f"@figure {FANOUT_FIGURE} = {invite['p99_ms']:.0f} ms (p50 {invite['p50_ms']:.0f} ms, "
            f"{invite['events']} invitations in {arguments.rounds} rounds, {invite['lost']} lost; "
            f"target < {FANOUT_TARGET_MS} ms)",
            flush=True,
        )
    finally:
        await close_clients(clients)
        await redis_client.aclose()


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500, help="idle websockets held open (default 500)")
    parser.add_argument("--fanout-clients", type=int, default=100, help="clients of the fan-out (default 100)")
    parser.add_argument("--rounds", type=int, default=50, help="measured fan-out rounds per kind (default 50)")
    parser.add_argument("--hold", type=float, default=12, help="seconds the idle sockets stay open (default 12)")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.sockets <= 2000:
        parser.error(f"--sockets must be between 1 and 2000, not {arguments.sockets}")
    if not 1 <= arguments.fanout_clients <= arguments.sockets:
        parser.error("--fanout-clients must be between 1 and --sockets")
    if not 1 <= arguments.rounds <= 1000:
        parser.error(f"--rounds must be between 1 and 1000, not {arguments.rounds}")
    if not 0 <= arguments.hold <= 300:
        parser.error(f"--hold must be between 0 and 300 seconds, not {arguments.hold}")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    root = paths.repo_root(Path(__file__).parent)
    with tempfile.TemporaryDirectory() as workdir:
        # Timed as people run it: logins at bcrypt's cost 12, websockets pinged every 10 s (the test kit's
        # stacks lower both for speed).
        stack = Stack.create(
            root,
            Path(workdir),
            project=f"devstack-bench-websockets-{int(time.time())}",
            overrides=as_configured_by_default(),
        )
        print("building and starting the stack (not timed) ...", flush=True)
        stack.run("up", "--detach", "--wait", "--build", timeout=1800)
        try:
            ca_file = stack.copy_ca(Path(workdir) / "ca_cert.pem")
            login = requests.get(
                f"{stack.base_url}/api/user/login", auth=("admin", "admin"), verify=str(ca_file), timeout=30
            )
            login.raise_for_status()
            api = Api(stack.base_url, ca_file, login.json()["user_token"])
            started = time.monotonic()
            with progress.heartbeat(f"creating {arguments.sockets} participants with a static token"):
                participants = make_participants(api, arguments.sockets, max_seconds=120)
            print(f"{len(participants)} participants created in {time.monotonic() - started:.1f} s", flush=True)
            time.sleep(5)  # let the server settle before the first memory reading
            asyncio.run(measure(stack, api, participants, arguments))
        finally:
            with progress.heartbeat(f"removing {stack.project}"):
                stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
