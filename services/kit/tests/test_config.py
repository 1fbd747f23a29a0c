"""The service's JSON config: every missing piece named, passwords overlaid from NAME or NAME_FILE, never read
from the generated file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service_kit.config import ConfigError, load_config, overlay_passwords, read_config_file

GENERATED = {
    "Service": {"name": "WeatherService", "hostname": "weather", "port": 5031, "debug_mode": False},
    "Backend": {"hostname": "proxy", "port": 40075},
    "Redis": {"hostname": "redis", "port": 6379, "db": 0, "username": "", "password": ""},
    "Database": {
        "db_type": "QPSQL",
        "name": "openteraweather",
        "url": "db",
        "port": 5432,
        "username": "u",
        "password": "",
    },
}


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "WeatherService.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def without(section: str, field: str | None = None) -> dict:
    document = json.loads(json.dumps(GENERATED))
    if field is None:
        del document[section]
    else:
        del document[section][field]
    return document


def test_a_missing_file_says_to_render(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.json: file not found \(run `devstack render`"):
        read_config_file(tmp_path / "nowhere.json")


@pytest.mark.parametrize(
    ("text", "reason"), [("{not json", "cannot read JSON"), ("[1, 2]", "expected a JSON object, got list")]
)
def test_a_file_that_is_not_a_json_object_is_named(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"bad.json: {reason}"):
        read_config_file(path)


@pytest.mark.parametrize(
    ("section", "field", "message"),
    [
        ("Service", None, "section 'Service' is missing"),
        ("Redis", "password", "field Redis.password is missing"),
        ("Service", "port", "field Service.port is missing"),
        ("Database", "url", "field Database.url is missing"),
    ],
)
def test_each_missing_section_or_field_is_named(tmp_path: Path, section: str, field: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_config_file(write(tmp_path, without(section, field)))


def test_the_database_section_is_required_only_of_a_service_with_a_database(tmp_path: Path) -> None:
    path = write(tmp_path, without("Database"))
    with pytest.raises(ConfigError, match="section 'Database' is missing"):
        read_config_file(path)
    assert "Database" not in read_config_file(path, require_database=False)


def test_passwords_come_from_the_environment() -> None:
    document = json.loads(json.dumps(GENERATED))
    overlay_passwords(document, {"OPENTERA_REDIS_PASSWORD": "r3dis", "OPENTERA_DB_PASSWORD": "d8"})
    assert document["Redis"]["password"] == "r3dis" and document["Database"]["password"] == "d8"


def test_passwords_come_from_the_files_the_file_variables_name(tmp_path: Path) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("from-a-secret\n", encoding="utf-8")
    document = json.loads(json.dumps(GENERATED))
    overlay_passwords(document, {"OPENTERA_DB_PASSWORD_FILE": str(secret)})
    assert document["Database"]["password"] == "from-a-secret"
    assert document["Redis"]["password"] == ""  # nothing set: the file's (empty) value stays


def test_both_forms_set_is_a_config_error_naming_both(tmp_path: Path) -> None:
    secret = tmp_path / "redis_password"
    secret.write_text("x", encoding="utf-8")
    environ = {"OPENTERA_REDIS_PASSWORD": "y", "OPENTERA_REDIS_PASSWORD_FILE": str(secret)}
    with pytest.raises(ConfigError, match="both OPENTERA_REDIS_PASSWORD and OPENTERA_REDIS_PASSWORD_FILE are set"):
        overlay_passwords(json.loads(json.dumps(GENERATED)), environ)


def test_an_unreadable_password_file_is_named_with_its_variable(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    with pytest.raises(ConfigError, match=f"OPENTERA_DB_PASSWORD_FILE={missing}: cannot read this file"):
        overlay_passwords(json.loads(json.dumps(GENERATED)), {"OPENTERA_DB_PASSWORD_FILE": str(missing)})


def test_load_config_gives_the_packages_config_with_the_passwords(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GENERATED), {"OPENTERA_REDIS_PASSWORD": "r", "OPENTERA_DB_PASSWORD": "d"})
    assert config.service_config["name"] == "WeatherService"
    assert config.redis_config["password"] == "r"
    assert config.db_config["password"] == "d" and config.db_config["name"] == "openteraweather"


def test_load_config_without_a_database(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, without("Database")), {}, require_database=False)
    assert config.backend_config == {"hostname": "proxy", "port": 40075}
    assert config.with_database is False
