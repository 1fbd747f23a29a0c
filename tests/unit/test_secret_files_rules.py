"""Passwords from files (issue 19): NAME, or the file NAME_FILE names, with the same rules in every container.

The Python function ships three times (TeraServer, the register job, the service kit every service installs),
so the copies are checked identical here and each copy's behaviour is exercised; the shell function
(services/lib/env-or-file.sh) is exercised with the shells of the images that source it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from devstack import secret_files

ROOT = Path(__file__).resolve().parents[2]
COPIES = {
    "register job": ROOT / "scripts/devstack/secret_files.py",
    "TeraServer": ROOT / "services/teraserver/teraserver/settings.py",
    # Every service installs the kit (services/kit): its copy serves them all.
    "service kit": ROOT / "services/kit/src/service_kit/secret_files.py",
}
TWIN_NAMES = ("SecretFileError", "env_or_file")
SHELL_LIBRARY = ROOT / "services/lib/env-or-file.sh"


def twin_nodes(path: Path) -> list[ast.AST]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {node.name: node for node in tree.body if getattr(node, "name", None) in TWIN_NAMES}
    assert sorted(found) == sorted(TWIN_NAMES), f"{path}: {sorted(found)}"
    return [found[name] for name in TWIN_NAMES]


def load_copy(path: Path) -> tuple[Callable[..., str | None], type[Exception]]:
    """The copy's two definitions, executed on their own (TeraServer's and the service's modules import
    packages only their images have)."""
    module = ast.Module(body=twin_nodes(path), type_ignores=[])
    namespace: dict[str, object] = {}
    exec(compile("from collections.abc import Mapping\n", "<imports>", "exec"), namespace)
    exec(compile(module, str(path), "exec"), namespace)
    return namespace["env_or_file"], namespace["SecretFileError"]  # type: ignore[return-value]


def test_every_copy_is_the_same_code() -> None:
    reference = [ast.dump(node) for node in twin_nodes(COPIES["register job"])]
    for label, path in COPIES.items():
        assert [ast.dump(node) for node in twin_nodes(path)] == reference, f"{label} ({path}) differs"


@pytest.fixture(params=sorted(COPIES), ids=str)
def implementation(request: pytest.FixtureRequest) -> tuple[Callable[..., str | None], type[Exception]]:
    if request.param == "register job":
        return secret_files.env_or_file, secret_files.SecretFileError
    return load_copy(COPIES[request.param])


def test_the_variable_alone_is_its_value(implementation) -> None:
    env_or_file, _ = implementation
    assert env_or_file({"DB_PASSWORD": "s3cret"}, "DB_PASSWORD") == "s3cret"
    assert env_or_file({"DB_PASSWORD": ""}, "DB_PASSWORD") == ""
    assert env_or_file({}, "DB_PASSWORD") is None


def test_the_file_alone_is_its_content_without_trailing_newlines(implementation, tmp_path: Path) -> None:
    env_or_file, _ = implementation
    secret = tmp_path / "db_password"
    secret.write_text('p a"s\\s\nword\n\n', encoding="utf-8")
    assert env_or_file({"DB_PASSWORD_FILE": str(secret)}, "DB_PASSWORD") == 'p a"s\\s\nword'
    # An empty variable counts as unset, as in the official images' entrypoints.
    assert env_or_file({"DB_PASSWORD": "", "DB_PASSWORD_FILE": str(secret)}, "DB_PASSWORD") == 'p a"s\\s\nword'


def test_both_set_is_an_error_naming_both(implementation, tmp_path: Path) -> None:
    env_or_file, error = implementation
    secret = tmp_path / "db_password"
    secret.write_text("from the file", encoding="utf-8")
    with pytest.raises(error, match="both DB_PASSWORD and DB_PASSWORD_FILE are set"):
        env_or_file({"DB_PASSWORD": "from the environment", "DB_PASSWORD_FILE": str(secret)}, "DB_PASSWORD")


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_a_file_that_cannot_be_read_is_an_error_naming_the_variable_and_path(
    implementation, tmp_path: Path, kind: str
) -> None:
    env_or_file, error = implementation
    path = tmp_path / "absent"
    if kind == "directory":
        path.mkdir()
    with pytest.raises(error) as raised:
        env_or_file({"DB_PASSWORD_FILE": str(path)}, "DB_PASSWORD")
    assert f"DB_PASSWORD_FILE={path}" in str(raised.value)


# --- the shell function -------------------------------------------------------------------------------------

SHELLS = [shell for shell in ("sh", "dash", "bash") if shutil.which(shell)]


def run_shell(shell: str, env: dict[str, str], name: str = "DB_PASSWORD") -> subprocess.CompletedProcess[str]:
    # Prints the value and whether it is exported (a child process sees it).
    script = f'. "$1" && env_or_file {name} && printf "%s|" "${name}" && sh -c \'printf "%s" "${name}"\''
    return subprocess.run(
        [shell, "-c", script, shell, str(SHELL_LIBRARY)],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_variable_alone_and_file_alone(shell: str, tmp_path: Path) -> None:
    assert run_shell(shell, {"DB_PASSWORD": "s3cret"}).stdout == "s3cret|s3cret"
    secret = tmp_path / "db_password"
    secret.write_text('p a"s\\s $x\n\n', encoding="utf-8")
    result = run_shell(shell, {"DB_PASSWORD_FILE": str(secret)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'p a"s\\s $x|p a"s\\s $x'
    assert run_shell(shell, {}).stdout == "|"


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_errors_name_the_variables(shell: str, tmp_path: Path) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("x", encoding="utf-8")
    both = run_shell(shell, {"DB_PASSWORD": "y", "DB_PASSWORD_FILE": str(secret)})
    assert both.returncode != 0 and both.stdout == ""
    assert "both DB_PASSWORD and DB_PASSWORD_FILE are set" in both.stderr
    missing = run_shell(shell, {"DB_PASSWORD_FILE": str(tmp_path / "absent")})
    assert missing.returncode != 0 and missing.stdout == ""
    assert f"DB_PASSWORD_FILE={tmp_path / 'absent'}: no such readable file" in missing.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_refuses_a_name_that_is_not_a_variable(shell: str, tmp_path: Path) -> None:
    # The name goes into eval: anything but a variable name is refused before that.
    witness = tmp_path / "witness"
    result = subprocess.run(
        [shell, "-c", '. "$1" && env_or_file "$2"', shell, str(SHELL_LIBRARY), f"X;touch {witness}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "is not a variable name" in result.stderr
    assert not witness.exists()


# --- the register job ---------------------------------------------------------------------------------------


def test_register_job_reads_the_admin_password_from_its_file(tmp_path: Path) -> None:
    from devstack.errors import CommandError
    from devstack.register import admin_password

    values = {"TERASERVER_ADMIN_PASSWORD": "from .env"}
    secret = tmp_path / "admin_password"
    secret.write_text("from the file\n", encoding="utf-8")
    assert admin_password(values, {"TERASERVER_ADMIN_PASSWORD_FILE": str(secret)}) == "from the file"
    assert admin_password(values, {}) == "from .env"
    with pytest.raises(CommandError, match="TERASERVER_ADMIN_PASSWORD_FILE="):
        admin_password(values, {"TERASERVER_ADMIN_PASSWORD_FILE": str(tmp_path / "absent")})
