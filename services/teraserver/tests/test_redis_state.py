import json
import string
from types import SimpleNamespace

from opentera.redis.RedisVars import RedisVars

from teraserver.redis_state import new_dynamic_key, service_entries, token_keys

ALPHABET = set(string.digits + string.ascii_letters)


def test_dynamic_keys_are_32_alphanumeric_and_fresh() -> None:
    keys = {new_dynamic_key() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert len(key) == 32 and set(key) <= ALPHABET


def test_token_keys_layout() -> None:
    keys = token_keys("D" * 32, "P" * 32)
    assert set(keys) == {
        "UserTokenAPIKey",
        "ParticipantTokenAPIKey",
        "ServiceTokenAPIKey",
        "DeviceTokenAPIKey",
        "DeviceStaticTokenAPIKey",
        "ParticipantStaticTokenAPIKey",
    }
    assert keys[RedisVars.RedisVar_DeviceTokenAPIKey] == keys[RedisVars.RedisVar_DeviceStaticTokenAPIKey] == "D" * 32
    assert keys[RedisVars.RedisVar_ParticipantStaticTokenAPIKey] == "P" * 32
    dynamic = [keys[k] for k in ("UserTokenAPIKey", "ParticipantTokenAPIKey", "ServiceTokenAPIKey")]
    assert len(set(dynamic)) == 3 and all(len(k) == 32 and set(k) <= ALPHABET for k in dynamic)


def _service(key: str, enabled: bool = True, deleted_at: object = None) -> SimpleNamespace:
    return SimpleNamespace(
        service_key=key,
        service_enabled=enabled,
        deleted_at=deleted_at,
        to_json=lambda: {"service_key": key, "service_uuid": f"uuid-{key}"},
    )


def test_service_entries_selection() -> None:
    services = [
        _service("OpenTeraServer"),
        _service("LoggingService"),
        _service("Disabled", enabled=False),
        _service("Gone", deleted_at="2024-01-01"),
    ]
    to_write, to_delete = service_entries(services)
    assert list(to_write) == ["service.LoggingService"]
    assert json.loads(to_write["service.LoggingService"]) == {
        "service_key": "LoggingService",
        "service_uuid": "uuid-LoggingService",
    }
    assert to_delete == ["service.Disabled", "service.Gone"]
