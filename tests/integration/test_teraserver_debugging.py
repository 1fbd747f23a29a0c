"""TeraServer under the `debug` profile: an editor's breakpoint in a request handler stops the request.

granian serves requests on threads its Rust runtime starts, which debugpy does not trace by itself; TeraServer
announces them (app.DebuggedThreads). The test does what VS Code does with docs/debugging.md's launch.json:
attach to debugpy with subProcess on, attach again to the forked worker debugpy announces, set a breakpoint in
GET /api/user/services, call the endpoint through NGINX, see the worker stop there, continue, get the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from devstack.testing import dap, tokens
from devstack.testing.frontdoor import login
from devstack.testing.plugin import ADMIN_PASSWORD, ADMIN_USERNAME, require_docker
from devstack.testing.stack import free_port
from devstack.testing.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
HANDLER_FILE = "teraserver/api/user/services.py"
HANDLER_LINE_TEXT = 'args = get_parser.parse_args()\n        minimal = bool(args["list"])'
# The plain service lookup: answered in front of Flask unless TERASERVER_FAST_PATHS is off, as in this profile.
SERVICE_HANDLER_FILE = "teraserver/api/service/services.py"
SERVICE_HANDLER_LINE_TEXT = "caller_uuid = g.caller_service_uuid"


def handler_line(handler_file: str = HANDLER_FILE, text: str = HANDLER_LINE_TEXT) -> int:
    """The line of a handler's first statement, found in the source, not hard-coded."""
    source = (ROOT / "services" / "teraserver" / handler_file).read_text(encoding="utf-8")
    offset = source.index(text)
    return source.count("\n", 0, offset) + 1


def workspace_redis(workspace: Workspace) -> redis.Redis:
    return workspace.stack.redis()


def debug_logs(workspace: Workspace) -> str:
    logs = workspace.stack.run(
        "--profile", "debug", "logs", "--no-color", "--tail", "60", "teraserver-debug", check=False
    )
    return logs.stdout + logs.stderr


def http_worker_announced(workspace: Workspace, main: dap.DebugSession) -> dict:
    """The attach configuration of the granian worker, among the subprocesses debugpy announces: the websocket
    process (named `teraserver-wss`) is one too; an editor attaches to both."""
    for _ in range(4):
        config = main.wait_for_event("debugpyAttach")["body"]
        name = workspace.stack.run(
            "--profile", "debug", "exec", "-T", "teraserver-debug", "cat", f"/proc/{config['subProcessId']}/comm"
        ).stdout.strip()
        if name != "teraserver-wss":
            return config
    raise AssertionError("debugpy announced no granian worker")


@pytest.fixture(scope="module")
def debugged_teraserver(request: pytest.FixtureRequest) -> Iterator[tuple[Workspace, int]]:
    require_docker()
    workspace = Workspace.create(ROOT, project_prefix="devstack-tsdebug")
    port = free_port()  # not the default 5678: a developer's own debug session may hold it
    assert workspace.stack.override_file is not None
    with workspace.stack.override_file.open("a", encoding="utf-8") as overrides:
        overrides.write(f"DEVSTACK_DEBUGPY_PORT={port}\n")
    try:
        workspace.start()
        workspace.stack.run("stop", "teraserver")
        workspace.stack.run("--profile", "debug", "up", "--detach", "--wait", "teraserver-debug")
        dap.initialize("127.0.0.1", port)  # debugpy answers
        yield workspace, port
    finally:
        if not request.config.getoption("--devstack-keep"):
            workspace.remove()


def test_a_breakpoint_in_a_handler_stops_the_request_and_continue_answers_it(
    debugged_teraserver: tuple[Workspace, int],
) -> None:
    workspace, port = debugged_teraserver
    line = handler_line()
    with workspace.session() as front:
        token = login(front, ADMIN_USERNAME, ADMIN_PASSWORD)

        main = None
        worker = None
        step = "attaching"
        try:
            main = dap.DebugSession("127.0.0.1", port)
            main.attach({"justMyCode": False, "subProcess": True}, breakpoints={})
            worker_config = http_worker_announced(workspace, main)
            worker = dap.DebugSession("127.0.0.1", port)
            service_line = handler_line(SERVICE_HANDLER_FILE, SERVICE_HANDLER_LINE_TEXT)
            verified = worker.attach(
                worker_config,
                breakpoints={f"/app/{HANDLER_FILE}": [line], f"/app/{SERVICE_HANDLER_FILE}": [service_line]},
            )
            assert verified == {f"/app/{HANDLER_FILE}": [True], f"/app/{SERVICE_HANDLER_FILE}": [True]}

            answers: list[int] = []
            call = threading.Thread(
                target=lambda: answers.append(
                    front.get(
                        "/api/user/services", headers={"Authorization": f"OpenTera {token}"}, timeout=120
                    ).status_code
                )
            )
            call.start()
            step = "waiting for the user-API breakpoint"
            stopped = worker.wait_for_event("stopped")["body"]
            assert stopped["reason"] == "breakpoint"
            frames = worker.request("stackTrace", {"threadId": stopped["threadId"]})["body"]["stackFrames"]
            assert (frames[0]["name"], frames[0]["line"], frames[0]["source"]["path"]) == (
                "get",
                line,
                f"/app/{HANDLER_FILE}",
            )
            assert answers == [], "the request waits at the breakpoint"
            worker.request("continue", {"threadId": stopped["threadId"]})
            call.join(timeout=60)
            assert answers == [200]

            # The plain form services send at start-up reaches its Flask handler too (fast paths off).
            service_token = tokens.service_token_from_redis(workspace_redis(workspace), "SampleService")
            lookup = threading.Thread(
                target=lambda: answers.append(
                    front.get(
                        "/api/service/services?service_key=SampleService",
                        headers={"Authorization": f"OpenTera {service_token}"},
                        timeout=120,
                    ).status_code
                )
            )
            lookup.start()
            step = "waiting for the service-lookup breakpoint"
            stopped = worker.wait_for_event("stopped")["body"]
            frames = worker.request("stackTrace", {"threadId": stopped["threadId"]})["body"]["stackFrames"]
            assert (frames[0]["line"], frames[0]["source"]["path"]) == (service_line, f"/app/{SERVICE_HANDLER_FILE}")
            worker.request("continue", {"threadId": stopped["threadId"]})
            lookup.join(timeout=60)
            assert answers == [200, 200]
        except (dap.DapError, OSError) as error:
            pytest.fail(f"{step}: {error!r}\n--- teraserver-debug logs ---\n{debug_logs(workspace)}")
        finally:
            if worker is not None:
                worker.close()
            if main is not None:
                main.close()
