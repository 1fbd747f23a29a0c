"""What `devstack deploy` asks of the Docker engine: swarm state, images, secrets, the stack and its health.

Every object made here carries the label `devstack.stack=<stack>` (or Swarm's own stack label), and only
objects with it are ever removed: other stacks and Compose projects on the same engine are never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack.deploy import stack as stack_module

OWNER_LABEL = "devstack.stack"
STACK_LABEL = "com.docker.stack.namespace"  # set by `docker stack deploy` on its services, networks, volumes
INIT_COMMAND = "docker swarm init --advertise-addr 127.0.0.1"


class SwarmError(RuntimeError):
    """A deploy step failed (exit 1); the message says what to do."""


class SwarmRefusal(SwarmError):
    """Refused before anything changed (exit 2): not a manager, no data node chosen, a bad option or value."""


def _run(command: Sequence[str], *, timeout: float = 120, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload]


def _checked(command: Sequence[str], what: str, **kwargs: object) -> str:
    result = _run(command, **kwargs)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise SwarmError(f"{what} failed (`{' '.join(command[:4])} ...`): {detail}")
    return result.stdout


# --- the swarm ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwarmState:
    active: bool
    manager: bool
    node_id: str


def swarm_state() -> SwarmState:
    out = _checked(
        ["docker", "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}"],
        "docker info",
    ).split()
    return SwarmState(active=out[0] == "active", manager=out[1] == "true", node_id=out[2] if len(out) > 2 else "")


def ensure_manager(init: bool, say: Callable[[str], None]) -> SwarmState:
    """The engine must be a swarm manager. Never initialised silently: only with `init`, and said so."""
    state = swarm_state()
    if state.active and state.manager:
        return state
    if state.active:
        raise SwarmRefusal("this engine is a swarm worker: run `devstack deploy` on a manager node")
    if not init:
        raise SwarmRefusal(
            f"this Docker engine is not in a swarm: run `{INIT_COMMAND}` (a single-node swarm on this machine; "
            "`docker swarm leave --force` undoes it, but restart running Compose stacks after it: leaving breaks their "
            "name resolution, moby issue 45144), or pass --init to let devstack deploy run it"
        )
    _checked(INIT_COMMAND.split(), "docker swarm init")
    say(
        f"initialised a single-node swarm: `{INIT_COMMAND}` (undo: `docker swarm leave --force`, then restart "
        "running Compose stacks: leaving breaks their name resolution, moby issue 45144)"
    )
    return swarm_state()


def ensure_data_node(state: SwarmState, say: Callable[[str], None]) -> None:
    """PostgreSQL and Redis are pinned to a node labelled devstack.data=true. On a single-node swarm the only
    node gets the label (said when added); on several nodes the operator picks one, we never guess."""
    nodes = _checked(["docker", "node", "ls", "--format", "{{.ID}}"], "docker node ls").split()
    labelled = [node for node in nodes if _node_label(node, stack_module.DATA_LABEL) == "true"]
    if labelled:
        return
    if len(nodes) == 1:
        _checked(
            ["docker", "node", "update", "--label-add", f"{stack_module.DATA_LABEL}=true", nodes[0]],
            "labelling the node",
        )
        say(f"labelled this swarm's only node {stack_module.DATA_LABEL}=true (PostgreSQL and Redis are placed there)")
        return
    raise SwarmRefusal(
        f"no node has the label {stack_module.DATA_LABEL}=true, where PostgreSQL and Redis and their volumes live: "
        f"choose one, `docker node update --label-add {stack_module.DATA_LABEL}=true <node>`"
    )


def _node_label(node: str, label: str) -> str:
    out = _checked(["docker", "node", "inspect", node, "--format", "{{json .Spec.Labels}}"], "docker node inspect")
    return (json.loads(out) or {}).get(label, "")


# --- images ---------------------------------------------------------------------------------------------------


def tag_images(model: Mapping[str, object], stack: str, version: str) -> list[str]:
    """Tag each image Compose built (<stack>/<service>:dev) with the project version; return the tags."""
    tags = []
    services = model.get("services") or {}
    assert isinstance(services, Mapping)
    for name in sorted(services):
        service = services[name]
        if service.get("profiles") or service.get("build") is None:
            continue
        tag = stack_module.image_tag(stack, name, version)
        _checked(["docker", "image", "tag", str(service["image"]), tag], f"tagging {name}'s image")
        tags.append(tag)
    return tags


def local_images(model: Mapping[str, object], stack: str, version: str) -> list[str]:
    """The local name of every image the stack runs (ours tagged with the version, the others as configured)."""
    images = set()
    services = model.get("services") or {}
    assert isinstance(services, Mapping)
    for name in sorted(services):
        service = services[name]
        if service.get("profiles"):
            continue
        built = service.get("build") is not None
        images.add(stack_module.image_tag(stack, name, version) if built else str(service["image"]))
    return sorted(images)


def push_images(images: Sequence[str], registry: str, say: Callable[[str], None]) -> None:
    """Tag each image with the registry's name and push it there, where every node pulls it (issue 19)."""
    for image in images:
        remote = stack_module.registry_image(registry, image)
        _checked(["docker", "image", "tag", image, remote], f"tagging {image} for the registry")
        say(f"pushing {remote}")
        _checked(["docker", "image", "push", remote], f"pushing {remote}", timeout=900)


def image_commands(model: Mapping[str, object], stack: str, version: str) -> dict[str, tuple[list[str], list[str]]]:
    """(ENTRYPOINT, CMD) of the image of every service that drains before it stops (stack.drains); an image
    not there is left out (the render then says to build it)."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    services = model.get("services") or {}
    assert isinstance(services, Mapping)
    for name in sorted(services):
        service = services[name]
        if service.get("profiles") or not stack_module.drains(name, service):
            continue
        image = stack_module.image_tag(stack, name, version) if service.get("build") is not None else service["image"]
        result = _run(["docker", "image", "inspect", str(image), "--format", "{{json .Config}}"])
        if result.returncode == 0:
            config = json.loads(result.stdout)
            found[name] = (list(config.get("Entrypoint") or []), list(config.get("Cmd") or []))
    return found


# --- secrets --------------------------------------------------------------------------------------------------


def secret_name(stack: str, secret: str, value: str) -> str:
    """`<stack>_<secret>-<hash>`: Swarm secrets are immutable, so a changed password gets a new name."""
    digest = hashlib.sha256(f"{stack}\0{secret}\0{value}".encode()).hexdigest()[:12]
    return f"{stack}_{secret}-{digest}"


def ensure_secrets(stack: str, wanted: Sequence[str], values: Mapping[str, str]) -> dict[str, str]:
    """Create each missing secret from its .env value (through stdin, never a file or an argument);
    return the variables naming them for `docker stack deploy`'s interpolation."""
    existing = set(_checked(["docker", "secret", "ls", "--format", "{{.Name}}"], "docker secret ls").split())
    names: dict[str, str] = {}
    for secret in wanted:
        variable = stack_module.SECRETS[secret]
        value = values.get(variable, "")
        if not value:
            raise SwarmRefusal(f".env: {variable} is empty: run `devstack configure`")
        name = secret_name(stack, secret, value)
        if name not in existing:
            _checked(
                ["docker", "secret", "create", "--label", f"{OWNER_LABEL}={stack}", name, "-"],
                f"creating secret {name}",
                input=value,
            )
        names[stack_module.secret_name_variable(secret)] = name
    return names


def remove_secrets(stack: str, keep: Sequence[str] = ()) -> list[str]:
    """Remove this stack's secrets except `keep`; one still used by a task stays (Swarm refuses), quietly."""
    listed = _checked(
        ["docker", "secret", "ls", "--filter", f"label={OWNER_LABEL}={stack}", "--format", "{{.Name}}"],
        "docker secret ls",
    ).split()
    removed = []
    for name in listed:
        if name not in keep and _run(["docker", "secret", "rm", name]).returncode == 0:
            removed.append(name)
    return removed


# --- the stack ------------------------------------------------------------------------------------------------


def deploy_stack(stack_file: Path, stack: str, secret_names: Mapping[str, str]) -> None:
    environment = {**os.environ, **secret_names}
    _checked(
        [
            "docker",
            "stack",
            "deploy",
            "--detach=true",
            # Our images by tag: on one node the ones just built here, with --registry the ones pushed there
            # (each node pulls the tag; no digest lookup, which a plain-HTTP registry may not answer).
            "--resolve-image",
            "never",
            # A service no longer in the file (a removed manifest) is removed from the stack.
            "--prune",
            "--compose-file",
            str(stack_file),
            stack,
        ],
        "docker stack deploy",
        env=environment,
        cwd=stack_file.parent,
        timeout=300,
    )


@dataclass(frozen=True)
class ServiceState:
    name: str
    mode: str
    replicas: str  # as `docker service ls` shows it: 1/1, 0/1 (1/1 completed)
    update: str  # UpdateStatus.State: "" (none), updating, completed, rollback_completed, paused...

    @property
    def ready(self) -> bool:
        if self.update in {"updating", "rollback_started", "paused", "rollback_paused"}:
            return False
        if "job" in self.mode:
            # "0/1 (1/1 completed)"
            completed = self.replicas.partition("(")[2].split()[0] if "(" in self.replicas else ""
            done, _, wanted = completed.partition("/")
            return bool(done) and done == wanted
        running, _, wanted = self.replicas.split()[0].partition("/")
        return running == wanted and wanted not in {"", "0"}


def service_states(stack: str) -> list[ServiceState]:
    out = _checked(
        [
            "docker",
            "service",
            "ls",
            "--filter",
            f"label={STACK_LABEL}={stack}",
            "--format",
            "{{.Name}}\t{{.Mode}}\t{{.Replicas}}",
        ],
        "docker service ls",
    )
    states = []
    for line in out.splitlines():
        if not line.strip():
            continue
        name, mode, replicas = line.split("\t")
        update = _run(
            ["docker", "service", "inspect", name, "--format", "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}"]
        )
        states.append(ServiceState(name, mode, replicas, update.stdout.strip()))
    return states


def wait_healthy(stack: str, timeout: float, say: Callable[[str], None], poll: float = 2.0) -> float:
    """Wait until every service of `stack` runs its healthy tasks and every job completed; the seconds taken."""
    started = time.monotonic()
    last_report = 0.0
    while True:
        states = service_states(stack)
        waiting = [
            f"{state.name} {state.replicas}{' ' + state.update if state.update else ''}"
            for state in states
            if not state.ready
        ]
        if states and not waiting:
            return time.monotonic() - started
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            raise SwarmError(
                f"not healthy after {timeout:.0f} s, still waiting for {', '.join(waiting) or 'the services'}: "
                f"see `docker stack ps {stack} --no-trunc` and `docker service logs {stack}_<service>`"
            )
        if elapsed - last_report >= 10:
            say(f"  {elapsed:4.0f} s  waiting for {', '.join(waiting) or 'the services to appear'}")
            last_report = elapsed
        time.sleep(poll)


def remove_stack(stack: str, volumes: bool, say: Callable[[str], None], timeout: float = 120) -> None:
    """`docker stack rm`, then wait for its containers and network to go; its secrets go too, its volumes only
    with `volumes` (they hold the database)."""
    stacks = _checked(["docker", "stack", "ls", "--format", "{{.Name}}"], "docker stack ls").split()
    if stack in stacks:
        _checked(["docker", "stack", "rm", stack], "docker stack rm")
    else:
        say(f"no stack {stack} runs on this swarm")
    deadline = time.monotonic() + timeout
    label = f"label={STACK_LABEL}={stack}"
    while time.monotonic() < deadline:
        containers = _run(["docker", "ps", "--all", "--quiet", "--filter", label]).stdout.split()
        networks = _run(["docker", "network", "ls", "--quiet", "--filter", label]).stdout.split()
        if not containers and not networks:
            break
        time.sleep(1)
    else:
        raise SwarmError(f"stack {stack}'s containers are still there after {timeout:.0f} s: `docker stack ps {stack}`")
    removed = remove_secrets(stack)
    if stack in stacks:
        say(f"removed stack {stack} and {len(removed)} secret(s)")
    elif removed:
        say(f"removed {len(removed)} secret(s) left by stack {stack}")
    if volumes:
        found = _run(["docker", "volume", "ls", "--quiet", "--filter", label]).stdout.split()
        for volume in found:
            _checked(["docker", "volume", "rm", volume], f"removing volume {volume}")
        say(f"removed {len(found)} volume(s): {', '.join(found) or 'none'}")
    else:
        say(f"volumes kept (data survives a new deploy): docker volume ls --filter {label}")


def front_door_ca_command(stack: str) -> str:
    return (
        f"docker cp $(docker ps --quiet --filter label=com.docker.swarm.service.name={stack}_proxy | head -n1)"
        ":/etc/nginx/certificates/ca_cert.pem ."
    )
