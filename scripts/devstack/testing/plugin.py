"""pytest plugin: fixtures over a live dev stack, for this repository's tests and for service authors.

A session starts one stack under a unique Compose project name with free host ports, waits until every
service is healthy, and removes it with its volumes at the end (`--devstack-keep` leaves it running).
`--devstack-reuse PROJECT` attaches to a stack already running under that Compose project instead, and
leaves it running. `scaffold_service` is apart: a throwaway service in a copy of the repository, on a stack of
its own, one per test module.
Without a Docker engine the stack's tests are skipped with the reason, except in CI (CI=true), where a
skipped stack test would hide a broken build, so they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import redis

from devstack import compose, envfile, paths, progress, settings
from devstack.testing import service_urls, tokens
from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack, StackNotRunningError, StackStartError
from devstack.testing.websockets import WebsocketClients
from devstack.testing.workspace import ScaffoldedService, Workspace, WorkspaceError

# The superadmin of the checkout's stacks: TeraServer creates it from .env's TERASERVER_ADMIN_* on an empty
# database (upstream's admin / admin by default), so the kit logs in with the same values.
ADMIN_USERNAME, ADMIN_PASSWORD = settings.admin_credentials(
    envfile.effective_values(paths.env_file(paths.repo_root(Path(__file__).parent)))
)

# The session's config, kept so that stack starts can write progress to the terminal (see progress_sink).
_session_config: pytest.Config | None = None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("devstack")
    group.addoption("--devstack-keep", action="store_true", help="leave the test stack running after the session")
    group.addoption(
        "--devstack-reuse",
        metavar="PROJECT",
        default=None,
        help="use the stack already running under this Compose project (e.g. opentera-devstack) and leave it running",
    )


def pytest_configure(config: pytest.Config) -> None:
    global _session_config
    _session_config = config
    config.addinivalue_line("markers", "docker: needs a Docker engine (skipped without one, a failure in CI)")


def progress_sink() -> progress.Sink | None:
    """Where a stack start reports what it waits for: straight to the terminal, past pytest's output capture
    (as pytest's own live logging does), so a run is never silent for long while images build and services
    become healthy. None without a terminal reporter (e.g. an xdist worker): the stack logs it instead."""
    config = _session_config
    reporter = config.pluginmanager.get_plugin("terminalreporter") if config else None
    if config is None or reporter is None:
        return None
    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line(f"devstack: {line}")

    return write


def require_docker() -> None:
    """Skip (developer machine) or fail (CI) when no Docker engine answers."""
    try:
        compose.ensure_docker()
    except compose.DockerUnavailableError as error:
        if in_ci():
            pytest.fail(f"CI needs Docker for this test, and {error}", pytrace=False)
        pytest.skip(f"no usable Docker: {error}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    # A skipped Docker test in CI means the stack was never exercised: count it as a failure.
    if report.skipped and in_ci() and item.get_closest_marker("docker") is not None:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every Docker test: {report.longrepr}"
    # On failure, attach the containers' recent logs so the cause is in the report.
    if report.failed and call.when in {"setup", "call"}:
        funcargs = getattr(item, "funcargs", {})
        stack = funcargs.get("devstack")
        if isinstance(stack, Stack):
            report.sections.append(("devstack container logs", stack.logs(tail=80)))
        scaffolded = funcargs.get("scaffold_service")
        if isinstance(scaffolded, ScaffoldedService):
            report.sections.append(("scaffold_service container logs", scaffolded.stack.logs(tail=80)))


def start_stack(
    tmp_dir: Path, project: str | None = None, build: bool = True, overrides: Mapping[str, str] | None = None
) -> Stack:
    """Start a stack of its own (unique project, free ports, `overrides` of .env) and wait until it is healthy."""
    require_docker()
    root = paths.repo_root(Path(__file__).parent)
    stack = Stack.create(root, tmp_dir, project=project, build=build, overrides=overrides)
    started = time.monotonic()
    try:
        stack.up(sink=progress_sink())
    except StackStartError as error:
        logs = stack.logs(tail=60)
        stack.down()
        pytest.fail(
            f"the stack did not come up healthy:\n{error.output[-3000:]}\n--- logs ---\n{logs[-6000:]}", pytrace=False
        )
    print(f"\ndevstack: project {stack.project} healthy in {time.monotonic() - started:.1f} s at {stack.base_url}")
    return stack


def stack_until_teardown(
    request: pytest.FixtureRequest, tmp_dir: Path, build: bool = True, overrides: Mapping[str, str] | None = None
) -> Iterator[Stack]:
    """The body of a fixture that needs a stack of its own: `yield from stack_until_teardown(request, tmp)`
    starts it, hands it to the tests, and removes it with its volumes afterwards unless --devstack-keep."""
    stack = start_stack(tmp_dir, build=build, overrides=overrides)
    yield stack
    if not request.config.getoption("--devstack-keep"):
        stack.down()


def attach_stack(project: str) -> Stack:
    """The stack already running under `project`; the session fails with the reason when it is not running."""
    require_docker()
    try:
        stack = Stack.attach(paths.repo_root(Path(__file__).parent), project)
    except StackNotRunningError as error:
        pytest.fail(str(error), pytrace=False)
    print(f"\ndevstack: reusing project {stack.project} at {stack.base_url}")
    return stack


@pytest.fixture(scope="session")
def devstack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack, started once per test session and torn down (with its volumes) at the end;
    with `--devstack-reuse PROJECT`, the running stack of that project, never torn down."""
    reused_project = request.config.getoption("--devstack-reuse")
    if reused_project:
        yield attach_stack(reused_project)
        return
    yield from stack_until_teardown(request, tmp_path_factory.mktemp("devstack"))


@pytest.fixture(scope="session")
def devstack_ca(devstack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack's CA certificate, to verify its TLS front door."""
    return devstack.copy_ca(tmp_path_factory.mktemp("devstack-ca") / "ca_cert.pem")


@pytest.fixture
def https(devstack: Stack, devstack_ca: Path) -> Iterator[FrontDoorSession]:
    """An HTTPS session to the stack's front door (paths may be given relative: "/api/user/login")."""
    with FrontDoorSession(devstack.base_url, devstack_ca) as session:
        yield session


@pytest.fixture
def admin_token(devstack: Stack, https: FrontDoorSession) -> str:
    """A fresh token of the superadmin (.env's TERASERVER_ADMIN_*, admin / admin by default); fresh because a
    TeraServer restart voids tokens."""
    return login(https, *settings.admin_credentials(devstack.values()))


@pytest.fixture
def redis_client(devstack: Stack) -> Iterator[redis.Redis]:
    """A client of the stack's Redis (TeraServer's database 0), through its 127.0.0.1 port."""
    client = devstack.redis()
    yield client
    client.close()


# --- factories a service author's tests use every day; redefine one in a conftest.py to override it -----------
@pytest.fixture
def user_token(https: FrontDoorSession) -> Callable[[str, str], str]:
    """`user_token(username, password)`: a fresh user token from TeraServer's login endpoint."""

    def make(username: str, password: str) -> str:
        return login(https, username, password)

    return make


@pytest.fixture
def service_token(redis_client: redis.Redis) -> Callable[[str], str]:
    """`service_token("SampleService")`: a token of a registered service, minted as the opentera package does."""

    def make(service_key: str) -> str:
        return tokens.service_token_from_redis(redis_client, service_key)

    return make


@pytest.fixture
def device_token(devstack: Stack, https: FrontDoorSession, admin_token: str) -> Callable[..., str]:
    """`device_token()`, `device_token("Kit #2", onlineable=True)`: the static token of a new, enabled device
    (registered through /api/device/register, then enabled by the superadmin); valid across restarts."""

    def make(name: str = "Test device", type_key: str = "devstack-test", onlineable: bool = False) -> str:
        registration_key = devstack.psql(tokens.DEVICE_REGISTER_KEY_SQL)[0][0]
        device = tokens.register_device(https, registration_key, name, type_key, onlineable=onlineable)
        tokens.enable_device(https, admin_token, device["device_uuid"])
        return device["device_token"]

    return make


@pytest.fixture
def participant_token(https: FrontDoorSession) -> tokens.ParticipantTokens:
    """`participant_token(username, password)`: a fresh dynamic token from /api/participant/login (full access);
    `participant_token.static(username, password)`: the participant's static token (limited access)."""
    return tokens.ParticipantTokens(https)


@pytest.fixture
def websocket_client(https: FrontDoorSession) -> Iterator[WebsocketClients]:
    """`websocket_client.user(username, password)`, `.participant(username, password)`, `.device(token)`: a
    client logged in and connected to TeraServer's websocket through the front door (`WebsocketClient`:
    `wait_for`, `events`, `wait_closed`); those still open are closed at the end of the test."""
    clients = WebsocketClients(https)
    yield clients
    clients.close_all()


@pytest.fixture
def service_url(devstack: Stack) -> Callable[[str], str]:
    """`service_url("SampleService")`: `https://localhost:<port><prefix>/`, from the service's manifest."""

    def make(service_key: str) -> str:
        return service_urls.service_url(devstack.base_url, devstack.root, service_key)

    return make


@pytest.fixture
def postgres(devstack: Stack) -> Callable[[str], Callable[[str], list[list[str]]]]:
    """`postgres("openterasample")("SELECT ...")`: rows (lists of text fields) of SQL run in that database,
    as the superuser, through the db service's 127.0.0.1 port (psycopg's wheel: no PostgreSQL client to install)."""

    def connect(database: str = "opentera") -> Callable[[str], list[list[str]]]:
        def query(sql: str) -> list[list[str]]:
            return devstack.psql(sql, database=database)

        return query

    return connect


@pytest.fixture(scope="module")
def scaffold_service(request: pytest.FixtureRequest) -> Iterator[ScaffoldedService]:
    """A throwaway service for the tests of one module: `devstack new` for a unique key (`Scratch<hex>Service`) in
    a temporary copy of the repository, on a stack of its own started from that copy, so the service is built,
    registered with TeraServer, routed by NGINX and healthy. Your `services/` folder and your stack are never
    touched. At the end of the module its containers, volumes, network, the service's image and the copy are
    removed (`--devstack-keep` leaves them, and says where)."""
    require_docker()
    workspace = Workspace.create(paths.repo_root(Path(__file__).parent))
    keep = request.config.getoption("--devstack-keep")
    try:
        workspace.start()
        service = workspace.scaffold()
    except WorkspaceError as error:
        if not keep:
            workspace.remove()
        pytest.fail(str(error), pytrace=False)
    except BaseException:
        if not keep:
            workspace.remove()
        raise
    print(
        f"\ndevstack: scaffolded {service.key} in {service.path}, project {service.stack.project}, at {service.url()}"
    )
    yield service
    if keep:
        print(f"\ndevstack: kept {service.key}: copy {workspace.workdir}, Compose project {service.stack.project}")
    else:
        workspace.remove()
