"""Check candidate NGINX files with `nginx -t` before they replace the live ones, then reload gracefully.

The check runs the stack's own NGINX binary on a copy of the whole configuration in which the service
locations are the candidates: inside the running `proxy` container when there is one, else in a throwaway
container of NGINX_IMAGE. Nothing under nginx/ changes until the check passes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path

from devstack import compose, envfile, paths
from devstack.render import NGINX_SERVICES_DIR

PROXY_SERVICE = "proxy"
SERVICES_SYNC = "/etc/nginx/services-sync.sh"  # nginx/services-sync.sh in the proxy container
LIVE_PREFIX = "/etc/nginx/"
CHECK_TIMEOUT_SECONDS = 120


class NginxCheckError(RuntimeError):
    """`nginx -t` refused the candidate configuration (or could not be run); the message says where."""


def candidate_services(root: Path, writes: Mapping[str, str], deletions: list[str]) -> dict[str, str]:
    """The services.d files NGINX would load after the change: file name -> text."""
    files = {path.name: path.read_text(encoding="utf-8") for path in sorted((root / NGINX_SERVICES_DIR).glob("*.conf"))}
    for relative, text in writes.items():
        if relative.startswith(NGINX_SERVICES_DIR + "/"):
            files[Path(relative).name] = text
    for relative in deletions:
        if relative.startswith(NGINX_SERVICES_DIR + "/"):
            files.pop(Path(relative).name, None)
    return files


def pid_file(check_dir: str) -> str:
    """Where `nginx -t` may write its pid: writable in both containers, removed with the check's files."""
    return f"/tmp/{Path(check_dir).name}.pid"


def _retarget(text: str, check_dir: str, keep_certificates: bool) -> str:
    """Point the configuration's own includes at the copy in `check_dir` (certificates too, when asked)."""
    for folder in ("conf.d", "includes", "services.d"):
        text = text.replace(f"{LIVE_PREFIX}{folder}/", f"{check_dir}/{folder}/")
    if not keep_certificates:
        text = text.replace(f"{LIVE_PREFIX}certificates/", f"{check_dir}/certificates/")
    # `nginx -t` opens the pid file; the copy may be read-only, /tmp is writable in both containers.
    return text.replace("pid /tmp/nginx.pid;", f"pid {pid_file(check_dir)};")


def build_check_tree(
    root: Path, services: Mapping[str, str], destination: Path, check_dir: str, keep_certificates: bool
) -> None:
    """Write into `destination` a full configuration (as it will be at `check_dir` when checked)."""
    nginx_dir = root / "nginx"
    destination.mkdir(parents=True, exist_ok=True)
    (destination / "nginx.conf").write_text(
        _retarget((nginx_dir / "nginx.conf").read_text(encoding="utf-8"), check_dir, keep_certificates),
        encoding="utf-8",
    )
    for folder in ("conf.d", "includes"):
        (destination / folder).mkdir(exist_ok=True)
        for source in sorted((nginx_dir / folder).glob("*")):
            if source.is_file():
                text = _retarget(source.read_text(encoding="utf-8"), check_dir, keep_certificates)
                (destination / folder / source.name).write_text(text, encoding="utf-8")
    (destination / "services.d").mkdir(exist_ok=True)
    for name, text in services.items():
        (destination / "services.d" / name).write_text(_retarget(text, check_dir, keep_certificates), encoding="utf-8")


def _explain(output: str, check_dir: str) -> str:
    """nginx's message with the temporary paths turned back into the repository's, naming the service."""

    def service_line(match: re.Match[str]) -> str:
        name, line = match.group(1), match.group(2)
        return f"service {name} ({NGINX_SERVICES_DIR}/{name}.conf line {line})"

    text = re.sub(re.escape(check_dir) + r"/services\.d/([A-Za-z0-9_.-]+)\.conf:(\d+)", service_line, output)
    text = text.replace(check_dir + "/", "nginx/")
    # Drop the log prefix ("2024/01/01 12:00:00 [emerg] 1#1: "): the level and the message are what matter.
    text = re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: ", r"\1 ", text, flags=re.MULTILINE)
    lines = [
        line for line in text.splitlines() if line.strip() and "test failed" not in line and "syntax is ok" not in line
    ]
    return "\n".join(lines) or "nginx -t failed without a message"


def proxy_running(root: Path) -> bool:
    """True when this checkout's Compose project (COMPOSE_PROJECT_NAME, else compose.yaml's name) runs proxy."""
    return compose.checkout(root).is_running(PROXY_SERVICE)


def _check_in_proxy(root: Path, services: Mapping[str, str]) -> tuple[subprocess.CompletedProcess[str], str]:
    check_dir = f"/tmp/devstack-nginx-check-{uuid.uuid4().hex[:12]}"
    stack = compose.checkout(root)
    with tempfile.TemporaryDirectory(prefix="devstack-nginx-") as local:
        tree = Path(local) / "tree"
        build_check_tree(root, services, tree, check_dir, keep_certificates=True)
        copied = stack.cp(str(tree), f"{PROXY_SERVICE}:{check_dir}")
        if copied.returncode != 0:
            raise NginxCheckError(f"could not copy the candidate configuration into the proxy: {copied.stderr.strip()}")
    try:
        configuration = f"{check_dir}/nginx.conf"
        result = stack.exec(PROXY_SERVICE, "nginx", "-t", "-c", configuration, timeout=CHECK_TIMEOUT_SECONDS)
    finally:
        stack.exec(PROXY_SERVICE, "rm", "-rf", check_dir, pid_file(check_dir), timeout=CHECK_TIMEOUT_SECONDS)
    return result, check_dir


def _throwaway_certificates(directory: Path) -> None:
    """A self-signed certificate so the TLS server block loads (the stack's own lives in a volume)."""
    directory.mkdir(parents=True, exist_ok=True)
    if shutil.which("openssl") is None:
        raise NginxCheckError("checking NGINX with the stack down needs the `openssl` command, which is missing")
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=devstack-nginx-check",
         "-keyout", str(directory / "site_key.pem"), "-out", str(directory / "site_cert.pem")],
        capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise NginxCheckError(f"openssl could not make a throwaway certificate: {result.stderr.strip()}")
    shutil.copy(directory / "site_cert.pem", directory / "ca_cert.pem")


def _check_in_throwaway(root: Path, services: Mapping[str, str]) -> tuple[subprocess.CompletedProcess[str], str]:
    image = envfile.effective_values(paths.env_file(root))["NGINX_IMAGE"]
    with tempfile.TemporaryDirectory(prefix="devstack-nginx-") as local:
        check_dir = "/devstack-nginx-check"
        tree = Path(local) / "tree"
        build_check_tree(root, services, tree, check_dir, keep_certificates=False)
        _throwaway_certificates(tree / "certificates")
        tree.chmod(0o755)
        for path in tree.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        result = compose.run_docker(
            "run", "--rm", "--network", "none", "-v", f"{tree}:{check_dir}:ro", "--entrypoint", "nginx",
            image, "-t", "-c", f"{check_dir}/nginx.conf", timeout=CHECK_TIMEOUT_SECONDS,
        )  # fmt: skip
    return result, check_dir


def check(root: Path, services: Mapping[str, str]) -> str:
    """Run `nginx -t` on the configuration with `services` as services.d; return where it ran.

    Raises NginxCheckError naming the service and line when NGINX refuses it.
    """
    try:
        compose.ensure_docker()
    except compose.DockerUnavailableError as error:
        raise NginxCheckError(f"cannot run `nginx -t`: {error} (or pass --skip-nginx-check)") from error
    if proxy_running(root):
        where = "the running proxy container"
        result, check_dir = _check_in_proxy(root, services)
    else:
        where = "a throwaway NGINX container"
        result, check_dir = _check_in_throwaway(root, services)
    if result.returncode != 0:
        raise NginxCheckError(f"nginx -t refused the new configuration:\n{_explain(result.stderr, check_dir)}")
    return where


def reload(root: Path) -> bool:
    """Graceful reload (old workers finish their requests); False when no proxy runs (nothing to reload)."""
    if not proxy_running(root):
        return False
    # The links in the proxy's services.d follow the checkout's files (services-sync.sh), then NGINX re-reads them.
    command = f"sh {SERVICES_SYNC} 2>/dev/null; nginx -s reload"
    result = compose.checkout(root).exec(PROXY_SERVICE, "sh", "-c", command, timeout=CHECK_TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise NginxCheckError(f"nginx -s reload failed: {(result.stderr or result.stdout).strip()}")
    return True
