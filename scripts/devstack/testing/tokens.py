"""Service tokens as the opentera package mints them, and the Redis entries they are made from.

`ServiceOpenTera.service_generate_token` signs `{"iat": <now>, "service_uuid": <uuid>}` (HS256, no expiry) with
the `ServiceTokenAPIKey` TeraServer writes to Redis at each start; the uuid comes from the `service.<key>` entry.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

import jwt

# Redis names of opentera's RedisVars (RedisVar_ServiceTokenAPIKey, service.<key>), spelled out so the test
# kit does not need the opentera package on the host.
SERVICE_TOKEN_KEY_VAR = "ServiceTokenAPIKey"
SERVICE_ENTRY_PREFIX = "service."


class ServiceNotRegisteredError(LookupError):
    """No `service.<key>` entry (or no token key) in Redis: the service is unknown or TeraServer is not up."""


class TextRedis(Protocol):
    """The one Redis call used here, on a client created with decode_responses=True."""

    def get(self, name: str) -> Any: ...


def mint_service_token(key: str, service_uuid: str, **claims: Any) -> str:
    """A token signed with `key` as the package mints it; extra claims (exp, jti...) only for tests that need them."""
    payload = {"iat": int(time.time()), "service_uuid": service_uuid, **claims}
    return jwt.encode(payload, key, algorithm="HS256")


def service_uuid(client: TextRedis, service_key: str) -> str:
    """The uuid of a registered service, from its `service.<key>` entry."""
    entry = client.get(SERVICE_ENTRY_PREFIX + service_key)
    if entry is None:
        raise ServiceNotRegisteredError(
            f"Redis has no '{SERVICE_ENTRY_PREFIX}{service_key}' entry: service key {service_key!r} is not "
            "registered (or disabled) in this TeraServer; keys are case-sensitive"
        )
    try:
        return json.loads(entry)["service_uuid"]
    except (ValueError, KeyError, TypeError) as error:
        raise ServiceNotRegisteredError(
            f"Redis entry '{SERVICE_ENTRY_PREFIX}{service_key}' has no service_uuid: {entry[:200]!r}"
        ) from error


def service_token_from_redis(client: TextRedis, service_key: str) -> str:
    """A fresh token for the registered service `service_key`, valid until TeraServer restarts."""
    token_key = client.get(SERVICE_TOKEN_KEY_VAR)
    if token_key is None:
        raise ServiceNotRegisteredError(f"Redis has no '{SERVICE_TOKEN_KEY_VAR}': TeraServer has not started yet")
    return mint_service_token(token_key, service_uuid(client, service_key))


# --- device tokens -----------------------------------------------------------------------------------------------
# A device's token is static: minted by TeraServer when the device row is created (`TeraDevice.create_token`,
# signed with the `TokenEncryptionKey` server setting = Redis `DeviceTokenAPIKey`) and stored in `device_token`.
# So it cannot be minted here: a device is registered through TeraServer, then enabled by the superadmin.
DEVICE_REGISTER_PATH = "/api/device/register"
DEVICE_REGISTER_KEY_SQL = (
    "SELECT server_settings_value FROM t_server_settings WHERE server_settings_name = 'DeviceRegisterKey'"
)
REGISTRATION_PATIENCE = 10.0  # seconds: TeraServer lets one registration per second through (429 otherwise)


class DeviceRegistrationError(RuntimeError):
    """TeraServer refused to register or enable the device (the message holds its answer)."""


def register_device(
    session: Any, registration_key: str, name: str, type_key: str, *, onlineable: bool = False, **params: Any
) -> dict[str, Any]:
    """GET /api/device/register (the device is created disabled): its answer, `device_uuid` and `device_token`
    included. `session` is a front-door session (`https` fixture); the rate limit's 429s are waited out."""
    query = {"key": registration_key, "name": name, "type_key": type_key, "onlineable": onlineable, **params}
    deadline = time.monotonic() + REGISTRATION_PATIENCE
    while True:
        response = session.get(DEVICE_REGISTER_PATH, params=query)
        if response.status_code != 429 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    if response.status_code != 200:
        raise DeviceRegistrationError(f"{DEVICE_REGISTER_PATH}: {response.status_code} {response.text[:300]}")
    return response.json()


def enable_device(session: Any, admin_token: str, device_uuid: str) -> int:
    """Enable a registered device through /api/user/devices as a superadmin; returns its id_device."""
    headers = {"Authorization": f"OpenTera {admin_token}"}
    found = session.get("/api/user/devices", params={"device_uuid": device_uuid}, headers=headers)
    if found.status_code != 200 or not found.json():
        raise DeviceRegistrationError(f"device {device_uuid} not found: {found.status_code} {found.text[:300]}")
    id_device = found.json()[0]["id_device"]
    body = {"device": {"id_device": id_device, "device_enabled": True}}
    updated = session.post("/api/user/devices", json=body, headers=headers)
    if updated.status_code != 200:
        raise DeviceRegistrationError(f"device {device_uuid} not enabled: {updated.status_code} {updated.text[:300]}")
    return id_device


# --- participant tokens ------------------------------------------------------------------------------------------
# A participant logs in with its username and password (HTTP Basic) at /api/participant/login; the answer holds a
# dynamic token (`participant_token`, full access, 1 hour, void after a TeraServer restart) and the static one
# (`base_token`, limited access, null unless the participant's `participant_token_enabled` is true).
PARTICIPANT_LOGIN_PATH = "/api/participant/login"


class ParticipantLoginError(RuntimeError):
    """TeraServer refused the participant's login, or the participant has no static token."""


def participant_login(session: Any, username: str, password: str) -> dict[str, Any]:
    """The answer of GET /api/participant/login with HTTP Basic; `session` is a front-door session."""
    response = session.get(PARTICIPANT_LOGIN_PATH, auth=(username, password))
    if response.status_code != 200:
        answer = f"{response.status_code} {response.text[:300]}"
        raise ParticipantLoginError(f"{PARTICIPANT_LOGIN_PATH} as {username!r}: {answer}")
    return response.json()


class ParticipantTokens:
    """`tokens(username, password)`: a dynamic token; `tokens.static(username, password)`: the static one."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def __call__(self, username: str, password: str) -> str:
        return participant_login(self.session, username, password)["participant_token"]

    def static(self, username: str, password: str) -> str:
        token = participant_login(self.session, username, password)["base_token"]
        if not token:
            raise ParticipantLoginError(f"participant {username!r} has no static token (participant_token_enabled)")
        return token
