import pytest

from teraserver.settings import SettingsError, load_settings

BASE = {"TERASERVER_DB_PASSWORD": "secret"}


def test_defaults() -> None:
    s = load_settings(BASE)
    assert (s.db_host, s.db_port, s.db_name, s.db_user) == ("db", 5432, "opentera", "teraagent")
    assert (s.redis_host, s.redis_port, s.redis_db, s.redis_password) == ("redis", 6379, 0, "")
    assert (s.hostname, s.port, s.external_port) == ("localhost", 4040, 40075)
    assert s.enable_docs is True and s.force_password_change is False and s.test_data is False
    assert (s.workers, s.connect_attempts, s.log_level) == (2, 30, "INFO")
    assert s.fast_paths is True
    assert s.bcrypt_rounds == 12  # bcrypt's own default, which the package's models hash with


def test_database_uri_quotes_password() -> None:
    s = load_settings({"TERASERVER_DB_PASSWORD": "p@ss:w/rd"})
    assert s.database_uri == "postgresql://teraagent:p%40ss%3Aw%2Frd@db:5432/opentera"


def test_redis_without_password_sends_no_auth() -> None:
    assert "password" not in load_settings(BASE).redis_kwargs()
    assert load_settings({**BASE, "TERASERVER_REDIS_PASSWORD": "x"}).redis_kwargs()["password"] == "x"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TERASERVER_DB_PORT", "abc"),
        ("TERASERVER_REDIS_PORT", "70000"),
        ("TERASERVER_PORT", "0"),
        ("TERASERVER_EXTERNAL_PORT", "4x"),
        ("TERASERVER_WORKERS", "many"),
        ("TERASERVER_ENABLE_DOCS", "maybe"),
        ("TERASERVER_TEST_DATA", "2"),
        ("TERASERVER_FORCE_PASSWORD_CHANGE", "on please"),
        ("TERASERVER_LOG_LEVEL", "LOUD"),
        ("TERASERVER_FAST_PATHS", "fast"),
        ("TERASERVER_BCRYPT_ROUNDS", "3"),
        ("TERASERVER_BCRYPT_ROUNDS", "32"),
    ],
)
def test_bad_values_name_the_variable_and_value(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings({**BASE, name: value})
    assert name in str(err.value)
    assert repr(value) in str(err.value)


def test_empty_db_password_is_refused() -> None:
    for env in ({}, {"TERASERVER_DB_PASSWORD": ""}):
        with pytest.raises(SettingsError, match="TERASERVER_DB_PASSWORD"):
            load_settings(env)


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("YES", True), ("1", True), ("no", False), ("0", False)])
def test_booleans(raw: str, expected: bool) -> None:
    assert load_settings({**BASE, "TERASERVER_TEST_DATA": raw}).test_data is expected
    assert load_settings({**BASE, "TERASERVER_FAST_PATHS": raw}).fast_paths is expected


# --- passwords from files (TERASERVER_*_PASSWORD_FILE: Swarm secrets, issue 19) ----------------------------


def test_each_password_can_come_from_a_file(tmp_path) -> None:
    names = {
        "TERASERVER_DB_PASSWORD": "db_password",
        "TERASERVER_REDIS_PASSWORD": "redis_password",
        "TERASERVER_ADMIN_PASSWORD": "admin_password",
    }
    env = {}
    for name in names:
        path = tmp_path / name
        path.write_text(f"{name.lower()} from a file\n", encoding="utf-8")
        env[f"{name}_FILE"] = str(path)
    settings = load_settings(env)
    for name, field in names.items():
        assert getattr(settings, field) == f"{name.lower()} from a file"


def test_a_password_and_its_file_together_are_refused(tmp_path) -> None:
    path = tmp_path / "pw"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(SettingsError, match="both TERASERVER_REDIS_PASSWORD and TERASERVER_REDIS_PASSWORD_FILE"):
        load_settings({**BASE, "TERASERVER_REDIS_PASSWORD": "y", "TERASERVER_REDIS_PASSWORD_FILE": str(path)})


def test_a_missing_password_file_names_the_variable_and_path(tmp_path) -> None:
    missing = tmp_path / "absent"
    with pytest.raises(SettingsError) as err:
        load_settings({"TERASERVER_DB_PASSWORD_FILE": str(missing)})
    assert f"TERASERVER_DB_PASSWORD_FILE={missing}" in str(err.value)


def test_an_empty_password_file_is_an_empty_password(tmp_path) -> None:
    path = tmp_path / "empty"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"TERASERVER_DB_PASSWORD \(or TERASERVER_DB_PASSWORD_FILE\)"):
        load_settings({"TERASERVER_DB_PASSWORD_FILE": str(path)})


# --- TERASERVER_DEPLOYMENT_ID (one key rotation per deployment of replicas, issue 19) -------------------------


def test_deployment_id_is_empty_unless_set() -> None:
    assert load_settings(BASE).deployment_id == ""
    assert load_settings({**BASE, "TERASERVER_DEPLOYMENT_ID": "  "}).deployment_id == ""
    assert load_settings({**BASE, "TERASERVER_DEPLOYMENT_ID": "prod-2026.12:3"}).deployment_id == "prod-2026.12:3"


@pytest.mark.parametrize("value", ["two words", "a/b", "x" * 129, "é"])
def test_a_bad_deployment_id_is_refused(value: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings({**BASE, "TERASERVER_DEPLOYMENT_ID": value})
    assert "TERASERVER_DEPLOYMENT_ID" in str(err.value) and repr(value) in str(err.value)
