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
