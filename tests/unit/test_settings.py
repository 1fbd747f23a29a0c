"""Configuration values: every bad value is reported with the variable's name, good ones pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devstack import envfile, settings

ROOT = Path(__file__).resolve().parents[2]


def good_values() -> dict[str, str]:
    values = settings.with_defaults({})
    values.update({name: envfile.generate_secret() for name in settings.SECRET_NAMES})
    return values


def test_defaults_with_generated_secrets_are_valid() -> None:
    assert settings.problems(good_values()) == []


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("DEVSTACK_HTTPS_PORT", "abc", "is not a port number"),
        ("DEVSTACK_HTTPS_PORT", "", "is not a port number"),
        ("DEVSTACK_HTTPS_PORT", "70000", "out of range"),
        ("DEVSTACK_HTTPS_PORT", "0", "out of range"),
        ("DEVSTACK_DB_PORT", "5432x", "is not a port number"),
        ("REDIS_PASSWORD", "", "is empty"),
        ("POSTGRES_PASSWORD", "with space", "needs quoting"),
        ("TERASERVER_DB_PASSWORD", "a$b", "needs quoting"),
        ("TERASERVER_TEST_DATA", "maybe", "is not a boolean"),
        ("DEVSTACK_HOSTNAME", "bad_host!", "not a valid host name"),
        ("DEVSTACK_BIND_ADDRESS", "everywhere", "not an IP address"),
        ("POSTGRES_IMAGE", "Not An Image", "not an image reference"),
        ("TERASERVER_WORKERS", "0", "not a positive whole number"),
        ("TERASERVER_BCRYPT_ROUNDS", "3", "not a bcrypt cost"),
        ("TERASERVER_BCRYPT_ROUNDS", "32", "not a bcrypt cost"),
    ],
)
def test_bad_value_is_named(name: str, value: str, reason: str) -> None:
    values = good_values() | {name: value}
    found = settings.problems(values, source="/some/.env")
    assert len(found) == 1
    assert found[0].startswith(f"/some/.env: {name}=")
    assert reason in found[0]
    with pytest.raises(settings.ConfigError, match=name):
        settings.validate(values)


def test_secret_values_are_not_echoed() -> None:
    found = settings.problems(good_values() | {"REDIS_PASSWORD": "top secret"})
    assert "top secret" not in found[0]
    assert "<hidden>" in found[0]


def test_optional_ports_may_be_empty() -> None:
    assert settings.problems(good_values() | {"DEVSTACK_DB_PORT": "", "DEVSTACK_REDIS_PORT": "6380"}) == []


def test_env_example_lists_exactly_the_known_variables_with_their_defaults() -> None:
    example = envfile.read_values(ROOT / ".env.example")
    assert set(example) == {variable.name for variable in settings.VARIABLES}
    for variable in settings.VARIABLES:
        assert example[variable.name] == variable.default, variable.name
    # No password is ever committed.
    assert all(example[name] == "" for name in settings.SECRET_NAMES)


def test_compose_file_uses_only_known_variables() -> None:
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", (ROOT / "compose.yaml").read_text(encoding="utf-8")))
    assert used, "compose.yaml should read its values from .env"
    assert used <= {variable.name for variable in settings.VARIABLES} | set(settings.COMPOSE_VARIABLES)


def test_test_mode_is_refused_on_a_front_door_beyond_loopback() -> None:
    values = good_values() | {"TERASERVER_TEST_DATA": "true", "DEVSTACK_BIND_ADDRESS": "0.0.0.0"}
    [problem] = settings.problems(values, source="x/.env")
    assert problem.startswith("x/.env: TERASERVER_TEST_DATA=true with DEVSTACK_BIND_ADDRESS='0.0.0.0'")
    assert "/api/test/database/reset" in problem
    for address in ("127.0.0.1", "127.0.0.2", "::1"):
        assert settings.problems(values | {"DEVSTACK_BIND_ADDRESS": address}) == []
    assert settings.problems(values | {"TERASERVER_TEST_DATA": "false"}) == []


def test_default_admin_password_beyond_loopback_is_a_warning_not_an_error() -> None:
    exposed = good_values() | {"DEVSTACK_BIND_ADDRESS": "192.168.1.10"}
    assert settings.problems(exposed) == []
    [warning] = settings.warnings(exposed)
    assert "192.168.1.10" in warning and "admin / admin" in warning
    assert settings.warnings(exposed | {"TERASERVER_ADMIN_PASSWORD": "s3cret-Pass"}) == []
    assert settings.warnings(good_values()) == []


COMPOSE_FILES = sorted(
    [ROOT / "compose.yaml", *ROOT.glob("services/*.yaml"), *ROOT.glob("services/*/compose.yaml")], key=str
)


def test_every_compose_default_is_the_tables_default() -> None:
    # Compose needs `${X:-default}` when a value is missing from .env; settings.VARIABLES is the one place that
    # decides the default, so every copy in a compose file (hand-written or generated) must say the same (issue 16).
    defaults = {variable.name: variable.default for variable in settings.VARIABLES}
    checked = 0
    for path in COMPOSE_FILES:
        for name, default in re.findall(r"\$\{([A-Z_][A-Z0-9_]*):-([^}]*)\}", path.read_text(encoding="utf-8")):
            if name in defaults:
                assert default == defaults[name], f"{path.relative_to(ROOT)}: ${{{name}:-{default}}}"
                checked += 1
    assert checked >= 10


def test_the_configuration_docs_table_lists_every_variable_with_its_default() -> None:
    defaults = {variable.name: variable.default for variable in settings.VARIABLES}
    listed: set[str] = set()
    for row in re.findall(r"^\| (`[A-Z_].*?) \| (.*?) \|", (ROOT / "docs/configuration.md").read_text(), re.M):
        names = re.findall(r"`([A-Z_][A-Z0-9_]*)`", row[0])
        values = re.findall(r"`([^`]*)`", row[1])
        listed.update(names)
        if len(values) == len(names):  # "generated", "empty", "official images" describe rather than quote
            for name, value in zip(names, values, strict=True):
                assert value == defaults[name], f"docs/configuration.md: {name} default {value!r}"
    assert listed == set(defaults)


def test_the_test_kits_own_settings_are_valid_and_their_defaults_are_what_people_run() -> None:
    from devstack.testing import stack

    assert settings.problems(good_values() | stack.TEST_SETTINGS) == []
    assert stack.as_configured_by_default() == {
        "TERASERVER_WEBSOCKET_PING_INTERVAL": "10",
        "TERASERVER_WEBSOCKET_PING_TIMEOUT": "30",
        "TERASERVER_BCRYPT_ROUNDS": "12",
        "DEVSTACK_HEALTHCHECK_INTERVAL": "30",
    }
