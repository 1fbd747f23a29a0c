"""A throwaway copy of the repository with a stack of its own, and services scaffolded into it.

Tests and bench scripts that write service files (`devstack new`, an edit under `docker compose watch`) do it
in a copy, so the developer's own `services/` folder and their running stack are never touched. Removing a
workspace removes everything it made: its containers, volumes and network, the images of the services
scaffolded in it, and the copy itself. Images shared with the developer's stack (`opentera-devstack/teraserver`,
...) are kept: they are the same tags a normal `docker compose build` makes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devstack import compose, manifest, naming
from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack, StackStartError, remove_project_images, unique_project_name

# What a stack needs from the repository (no tests, docs, bench or virtualenv).
COPIED = ("compose.yaml", ".env", ".env.example", "pyproject.toml", "nginx", "services", "scripts/devstack")
IGNORED = shutil.ignore_patterns("__pycache__", ".ruff_cache", ".pytest_cache", "*.pyc", "*.egg-info")
PROJECT_LABEL = "com.docker.compose.project"
# `devstack new` builds an image and waits for health; bounded so a stuck build fails the caller.
SCAFFOLD_TIMEOUT_SECONDS = 900


class WorkspaceError(RuntimeError):
    """A workspace step failed; the message carries the command's output and the stack's recent logs."""


def copy_repository(source: Path, destination: Path) -> Path:
    """Copy what the stack needs from `source` (a checkout) into `destination`; return `destination`."""
    for relative in COPIED:
        origin = source / relative
        if origin.is_dir():
            shutil.copytree(origin, destination / relative, ignore=IGNORED)
        elif origin.is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, destination / relative)
    return destination


def unique_service_key(stem: str = "Scratch") -> str:
    """A service key no other run uses, e.g. `Scratch3f9a1c2bService` (folder `scratch3f9a1c2b`)."""
    return f"{stem}{uuid.uuid4().hex[:8]}Service"


def remove_project_resources(project: str) -> None:
    """Remove every container, volume and network labelled with Compose project `project` (a unique test name),
    including containers of profiles `down` was not told about."""
    label = f"label={PROJECT_LABEL}={project}"
    # Containers first: a volume or network still in use cannot be removed.
    for listing, removal in (
        (("ps", "--all", "--quiet", "--filter", label), ("rm", "--force", "--volumes")),
        (("volume", "ls", "--quiet", "--filter", label), ("volume", "rm", "--force")),
        (("network", "ls", "--quiet", "--filter", label), ("network", "rm")),
    ):
        found = compose.run_docker(*listing).stdout.split()
        if found:
            compose.run_docker(*removal, *found, timeout=120)


@dataclass
class ScaffoldedService:
    """A service `devstack new` made in a workspace: built, registered, routed by NGINX and healthy."""

    key: str
    folder: str
    prefix: str
    image: str
    workspace: Workspace

    @property
    def path(self) -> Path:
        """The service's folder in the workspace's copy (`<copy>/services/<folder>`): edit files here."""
        return self.workspace.root / manifest.SERVICES_DIR / self.folder

    @property
    def stack(self) -> Stack:
        return self.workspace.stack

    def url(self, path: str = "") -> str:
        """The public URL of `path` below the service's prefix: `url("api/me")` -> `https://localhost:<port>/<prefix>/api/me`."""
        return f"{self.stack.base_url}{self.prefix.rstrip('/')}/{path.lstrip('/')}"

    def session(self) -> FrontDoorSession:
        """An HTTPS session to this workspace's front door, trusting its CA (close it, or use it in `with`)."""
        return self.workspace.session()

    def user_token(self, username: str, password: str) -> str:
        """A user token from this workspace's TeraServer (tokens of another stack are refused here)."""
        with self.session() as session:
            return login(session, username, password)


@dataclass
class Workspace:
    """A copy of the repository in a temporary folder and the stack started from it (own project, free ports)."""

    workdir: Path
    stack: Stack
    ca_file: Path | None = None

    @property
    def root(self) -> Path:
        return self.stack.root

    @classmethod
    def create(cls, source: Path, project_prefix: str = "devstack-scaffold", build: bool = True) -> Workspace:
        """Copy `source` into a new temporary folder and prepare (not start) its stack."""
        workdir = Path(tempfile.mkdtemp(prefix=f"{project_prefix}-"))
        try:
            root = copy_repository(source, workdir / "repo")
            stack = Stack.create(root, workdir, project=unique_project_name(project_prefix), build=build)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return cls(workdir=workdir, stack=stack)

    def start(self) -> None:
        """Start the stack and wait until every service is healthy; raise WorkspaceError with the logs if not."""
        try:
            self.stack.up()
        except StackStartError as error:
            raise WorkspaceError(
                f"the workspace stack {self.stack.project} did not come up healthy:\n{error.output[-3000:]}\n"
                f"--- logs ---\n{self.stack.logs(tail=60)[-6000:]}"
            ) from error
        self.ca_file = self.stack.copy_ca(self.workdir / "ca_cert.pem")

    def session(self) -> FrontDoorSession:
        if self.ca_file is None:
            raise WorkspaceError("the workspace stack is not started: call start() first")
        return FrontDoorSession(self.stack.base_url, self.ca_file)

    def environment(self) -> dict[str, str]:
        """Environment for `devstack` and `docker compose` run on this copy: its root, its project, and the test
        stack's overrides (host ports), which the shell gives precedence over `.env`, as Compose does."""
        overrides = {name: value for name, value in self.stack.values().items() if name.startswith("DEVSTACK_")}
        return {**os.environ, **overrides, "DEVSTACK_ROOT": str(self.root), "COMPOSE_PROJECT_NAME": self.stack.project}

    def devstack(self, *arguments: str, timeout: float = SCAFFOLD_TIMEOUT_SECONDS) -> subprocess.CompletedProcess[str]:
        """Run the `devstack` command on this copy, in a process of its own (nothing of ours is patched)."""
        command = [sys.executable, "-m", "devstack", *arguments]
        return subprocess.run(
            command, cwd=self.root, env=self.environment(), capture_output=True, text=True, timeout=timeout
        )

    def scaffold(self, key: str | None = None, *new_arguments: str) -> ScaffoldedService:
        """`devstack new KEY [arguments]` on the running stack: the service is built, its database created, it is
        registered with TeraServer, routed by NGINX and healthy when this returns."""
        key = key or unique_service_key()
        folder = naming.folder_for_key(key)
        result = self.devstack("new", key, *new_arguments)
        if result.returncode != 0:
            raise WorkspaceError(
                f"`devstack new {key}` failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}"
                f"\n--- logs ---\n{self.stack.logs(folder, 'proxy', tail=40)[-4000:]}"
            )
        written = manifest.load_manifest(self.root / manifest.SERVICES_DIR / folder / manifest.MANIFEST_NAME, self.root)
        image = self.service_image(folder)
        return ScaffoldedService(key=written.key, folder=folder, prefix=written.prefix, image=image, workspace=self)

    def service_image(self, folder: str) -> str:
        """The image a service's compose file names, as Compose resolves it (the template's
        `${COMPOSE_PROJECT_NAME}/<folder>:dev`)."""
        return self.stack.service_image(folder)

    def remove(self) -> None:
        """Remove the stack (containers, volumes, network), the scaffolded services' images and the copy."""
        try:
            self.stack.compose.down(volumes=True, timeout=300)
        finally:
            remove_project_resources(self.stack.project)
            remove_project_images(self.stack.project)  # the stack's and the scaffolded services' images
            shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def running_workspace(source: Path, project_prefix: str, keep: bool = False) -> Iterator[Workspace]:
    """A started workspace of `source`, removed on exit unless `keep` (pytest's `--devstack-keep`)."""
    workspace = Workspace.create(source, project_prefix=project_prefix)
    try:
        workspace.start()
        yield workspace
    finally:
        if not keep:
            workspace.remove()
