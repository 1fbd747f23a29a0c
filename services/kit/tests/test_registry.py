"""Reading `service.<key>` and the token keys TeraServer writes in Redis."""

from __future__ import annotations

import json

import pytest
from opentera.redis.RedisVars import RedisVars

from service_kit.registry import (
    TOKEN_KEY_NAMES,
    RegistrationMissing,
    RegistrationUnreadable,
    read_service_info,
    token_keys_fingerprint,
    wait_for_service_info,
)

INFO = {"service_uuid": "1b6c", "service_key": "WeatherService", "service_port": 5031, "service_hostname": "weather"}


class RedisValues:
    """The two reads the registry makes (GET, MGET) over a dict: what TeraServer would have written."""

    def __init__(self, values: dict[str, bytes]) -> None:
        self.values = values

    def get(self, name: str) -> bytes | None:
        return self.values.get(name)

    def mget(self, names: tuple[str, ...]) -> list[bytes | None]:
        return [self.values.get(name) for name in names]


def test_a_registered_service_is_read() -> None:
    client = RedisValues({"service.WeatherService": json.dumps(INFO).encode()})
    assert read_service_info(client, "WeatherService") == INFO


@pytest.mark.parametrize("raw", [None, b'{"service_key": "WeatherService"}', b"[1]"])
def test_no_record_or_one_without_uuid_is_none(raw: bytes | None) -> None:
    client = RedisValues({} if raw is None else {"service.WeatherService": raw})
    assert read_service_info(client, "WeatherService") is None


def test_a_record_that_is_not_json_is_named() -> None:
    client = RedisValues({"service.WeatherService": b"\xff not json"})
    with pytest.raises(RegistrationUnreadable, match="'service.WeatherService' is not JSON"):
        read_service_info(client, "WeatherService")


def test_waiting_in_vain_says_how_to_register() -> None:
    with pytest.raises(RegistrationMissing, match=r"no 'service.WeatherService' after 0 s: register the service"):
        wait_for_service_info(RedisValues({}), "WeatherService", timeout=0)


def test_the_record_counts_only_with_the_service_token_key() -> None:
    record = {"service.WeatherService": json.dumps(INFO).encode()}
    with pytest.raises(RegistrationMissing):
        wait_for_service_info(RedisValues(record), "WeatherService", timeout=0)
    keyed = {**record, RedisVars.RedisVar_ServiceTokenAPIKey: b"k"}
    assert wait_for_service_info(RedisValues(keyed), "WeatherService", timeout=0) == INFO


def test_the_fingerprint_changes_with_any_token_key() -> None:
    values = {name: f"key-{index}".encode() for index, name in enumerate(TOKEN_KEY_NAMES)}
    before = token_keys_fingerprint(RedisValues(values))
    assert before == tuple(values[name] for name in TOKEN_KEY_NAMES) and len(before) == 6
    values[RedisVars.RedisVar_UserTokenAPIKey] = b"rotated"
    assert token_keys_fingerprint(RedisValues(values)) != before
