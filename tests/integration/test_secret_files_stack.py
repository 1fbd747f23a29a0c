"""A stack whose passwords come only from files (issue 19): every X of docs/configuration.md "Passwords from
files" is removed from the containers' environment and X_FILE names a Compose `secrets:` file instead, as a
Swarm stack mounts its secrets. The files hold other passwords than the env file, so a container that still
read the environment could not log in anywhere.

Proof that each container read its files: PostgreSQL and Redis are healthy with the files' passwords, TeraServer
reaches both and its superadmin has the file's password (a login through NGINX), the register job logs in with
it and succeeds, and the sample service (database and Redis from its files) is healthy and registered.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from devstack import paths
from devstack.testing.plugin import ADMIN_USERNAME, FrontDoorSession, login, require_docker
from devstack.testing.stack import Stack

# What .env gives the containers in this test: never used, since every such variable is reset below.
UNUSED = {
    "POSTGRES_PASSWORD": "unused-postgres-password",
    "TERASERVER_DB_PASSWORD": "unused-db-password",
    "REDIS_PASSWORD": "unused-redis-password",
    "TERASERVER_ADMIN_PASSWORD": "unused-admin-password",
}
# container service -> {variable: secret name}
FROM_FILES = {
    "db": {"POSTGRES_PASSWORD": "postgres_password", "DEVSTACK_DB_ROLE_PASSWORD": "db_password"},
    "redis": {"REDIS_PASSWORD": "redis_password"},
    "teraserver": {
        "TERASERVER_DB_PASSWORD": "db_password",
        "TERASERVER_REDIS_PASSWORD": "redis_password",
        "TERASERVER_ADMIN_PASSWORD": "admin_password",
    },
    "register": {"TERASERVER_ADMIN_PASSWORD": "admin_password"},
    "sample": {"OPENTERA_DB_PASSWORD": "db_password", "OPENTERA_REDIS_PASSWORD": "redis_password"},
}


def override_yaml(secret_files: dict[str, Path]) -> str:
    """A compose override: each variable reset (`!reset`: gone from the environment), its _FILE form set."""
    lines = ["services:"]
    for service, variables in FROM_FILES.items():
        lines += [f"  {service}:", "    environment:"]
        for variable, secret in variables.items():
            lines += [f"      {variable}: !reset null", f"      {variable}_FILE: /run/secrets/{secret}"]
        lines += ["    secrets:", *(f"      - {secret}" for secret in sorted(set(variables.values())))]
    lines.append("secrets:")
    for secret, path in secret_files.items():
        lines += [f"  {secret}:", f"    file: {json.dumps(str(path))}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def from_files(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[dict]:
    require_docker()
    workdir = tmp_path_factory.mktemp("secret-files")
    passwords = {
        "postgres_password": f"pg-{secrets.token_hex(8)}",
        "db_password": f"db-{secrets.token_hex(8)}",
        # Redis takes it as configuration text: quotes, a backslash, a space and a dollar must survive.
        "redis_password": f'r "q" \\b $x {secrets.token_hex(4)}',
        "admin_password": f"admin-{secrets.token_hex(8)}",
    }
    secret_files = {}
    for name, password in passwords.items():
        path = workdir / name
        path.write_text(password + "\n", encoding="utf-8")  # as `echo pw > file` writes it
        path.chmod(0o644)  # read by the containers' own users (postgres, redis, teraserver...)
        secret_files[name] = path
    override = workdir / "secrets.override.yaml"
    override.write_text(override_yaml(secret_files), encoding="utf-8")
    stack = Stack.create(paths.repo_root(Path(__file__).parent), workdir, overrides=UNUSED, compose_files=[override])
    try:
        stack.run("up", "--detach", "--wait", "--build", timeout=900)
        yield {"stack": stack, "passwords": passwords, "ca": stack.copy_ca(workdir / "ca.pem")}
    finally:
        if not request.config.getoption("--devstack-keep"):
            stack.down()


def test_no_password_is_in_any_container_environment(from_files: dict) -> None:
    stack: Stack = from_files["stack"]
    config = stack.config()
    for service, variables in FROM_FILES.items():
        environment = config["services"][service]["environment"]
        for variable in variables:
            assert variable not in environment, (service, variable)
            assert environment[f"{variable}_FILE"].startswith("/run/secrets/")
    # Nor on Redis's command line (its password reaches it on standard input).
    processes = stack.run("top", "redis").stdout
    assert "redis-server" in processes and from_files["passwords"]["redis_password"] not in processes
    assert "requirepass" not in processes


def test_login_through_nginx_with_the_admin_password_from_its_file(from_files: dict) -> None:
    stack: Stack = from_files["stack"]
    https = FrontDoorSession(stack.base_url, from_files["ca"])
    token = login(https, ADMIN_USERNAME, from_files["passwords"]["admin_password"])
    assert https.get("/api/user/services", headers={"Authorization": f"OpenTera {token}"}).status_code == 200
    assert https.get("/api/user/login", auth=(ADMIN_USERNAME, UNUSED["TERASERVER_ADMIN_PASSWORD"])).status_code == 401
    assert https.get("/health").json() == {"status": "ok"}


def test_register_job_and_sample_service_used_their_files(from_files: dict) -> None:
    stack: Stack = from_files["stack"]
    states = stack.service_states()
    assert (states["register"]["state"], states["register"]["exit_code"]) == ("exited", "0")
    assert (states["sample"]["state"], states["sample"]["health"]) == ("running", "healthy")
    # Redis answers the files' password (and only it); the register job wrote the sample's entry.
    client = redis.Redis(
        host="127.0.0.1",
        port=stack.host_port("redis", 6379),
        password=from_files["passwords"]["redis_password"],
        decode_responses=True,
    )
    try:
        assert client.exists("service.SampleService") == 1
    finally:
        client.close()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=stack.host_port("redis", 6379), password=UNUSED["REDIS_PASSWORD"]).ping()
    # The sample's API answers through NGINX (401 without a token: it runs, and reached TeraServer's keys).
    https = FrontDoorSession(stack.base_url, from_files["ca"])
    assert https.get("/sample/api/me").status_code == 401


def test_postgresql_roles_have_the_passwords_from_their_files(from_files: dict) -> None:
    stack: Stack = from_files["stack"]
    passwords = from_files["passwords"]
    # Over TCP, where PostgreSQL asks for the password (the socket trusts local users).
    for role, database, secret in (
        ("postgres", "postgres", "postgres_password"),
        ("teraagent", "opentera", "db_password"),
    ):
        for password, expected in ((passwords[secret], 0), (UNUSED["POSTGRES_PASSWORD"], 2)):
            result = stack.run(
                *("exec", "-T", "-e", f"PGPASSWORD={password}", "db"),
                *("psql", "-h", "127.0.0.1", "-U", role, "-d", database, "-X", "-A", "-t", "-c", "SELECT 1"),
                check=False,
            )
            assert result.returncode == expected, (role, result.stdout, result.stderr)
