"""The `debug` profile's variant of a service: the sample under debugpy, on a stack of its own.

Started as docs/debugging.md says (stop `sample`, then `--profile debug up sample-debug`); an editor's first
Debug Adapter Protocol request gets debugpy's answer on the published 127.0.0.1 port, and the service still
answers through NGINX, now from the debug instance.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.testing import dap
from devstack.testing.frontdoor import login
from devstack.testing.plugin import ADMIN_PASSWORD, ADMIN_USERNAME, require_docker
from devstack.testing.stack import free_port
from devstack.testing.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
SERVICE, DEBUG_SERVICE, PREFIX = "sample", "sample-debug", "/sample"
# The per-service override of the debug port (default: the service's port from its manifest).
PORT_VARIABLE = "DEVSTACK_DEBUGPY_PORT_SampleService"


@pytest.fixture(scope="module")
def debugged(request: pytest.FixtureRequest) -> Iterator[tuple[Workspace, int]]:
    """A stack whose sample runs as `sample-debug`, and the host port of its debugpy."""
    require_docker()
    workspace = Workspace.create(ROOT, project_prefix="devstack-debug")
    # A free port, so a developer's own debug session on the default port is not in the way.
    port = free_port()
    assert workspace.stack.override_file is not None
    with workspace.stack.override_file.open("a", encoding="utf-8") as overrides:
        overrides.write(f"{PORT_VARIABLE}={port}\n")
    try:
        workspace.start()
        workspace.stack.run("stop", SERVICE)
        workspace.stack.run("--profile", "debug", "up", "--detach", "--wait", DEBUG_SERVICE)
        yield workspace, port
    finally:
        if not request.config.getoption("--devstack-keep"):
            workspace.remove()


def test_debugpy_answers_an_editor_handshake(debugged: tuple[Workspace, int]) -> None:
    _, port = debugged
    response = dap.initialize("127.0.0.1", port)
    assert response["command"] == "initialize" and response["success"] is True, response
    # Capabilities only a Python debug adapter announces: this is debugpy, not just an open port.
    assert response["body"]["supportsConfigurationDoneRequest"] is True
    assert any(entry.get("filter") == "raised" for entry in response["body"]["exceptionBreakpointFilters"])


def test_the_service_answers_through_nginx_from_the_debug_instance(debugged: tuple[Workspace, int]) -> None:
    workspace, _ = debugged
    states = workspace.stack.service_states()
    assert states[SERVICE]["state"] == "exited", states
    assert states[DEBUG_SERVICE]["health"] == "healthy", states
    with workspace.session() as session:
        assert session.get(f"{PREFIX}/api/me").status_code == 401
        token = login(session, ADMIN_USERNAME, ADMIN_PASSWORD)
        me = session.get(f"{PREFIX}/api/me", headers={"Authorization": f"OpenTera {token}"})
    assert me.status_code == 200, me.text[:300]
    assert me.json()["service_key"] == "SampleService"


def test_debugpy_is_only_in_the_debug_instance(debugged: tuple[Workspace, int]) -> None:
    workspace, _ = debugged
    image = workspace.service_image(SERVICE)
    plain = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "python", image, "-c", "import debugpy"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert plain.returncode != 0 and "No module named 'debugpy'" in plain.stderr


def test_the_debug_profile_publishes_on_loopback_only_without_docker_socket_or_container_name(
    debugged: tuple[Workspace, int],
) -> None:
    workspace, port = debugged
    config = json.loads(workspace.stack.run("--profile", "debug", "config", "--format", "json").stdout)
    debug = config["services"][DEBUG_SERVICE]
    assert [(entry["host_ip"], entry["published"], entry["target"]) for entry in debug["ports"]] == [
        ("127.0.0.1", str(port), 5678)
    ]
    for name, service in config["services"].items():
        assert "container_name" not in service, name
        sources = [str(volume.get("source", "")) for volume in service.get("volumes", [])]
        assert not any("docker.sock" in source for source in sources), name
