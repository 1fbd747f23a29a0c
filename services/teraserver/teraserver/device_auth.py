"""Device authentication for /api/device/*: the device's static token.

A device is registered with a token that never expires: an HS256 JWT holding `device_uuid` and `id_device`,
signed with the `TokenEncryptionKey` server setting (the value TeraServer copies to Redis as `DeviceTokenAPIKey`
and `DeviceStaticTokenAPIKey` for the services) and stored in the device's `device_token` column. Upstream's
rule, kept here:

* The token is looked for first in `Authorization: OpenTera <token>` (scheme spelled exactly so), then in the
  `token` request argument (query string, form field or JSON body field).
* A token is valid when a live (not soft-deleted) device row holds it, it verifies under the current database
  key, and its `device_uuid` claim names that same device. The other claims may be stale (not checked).
* A header that is not two words: 401 `"Invalid token"`. A valid header token of a disabled device:
  401 `"Disabled device"`. A header token that matches no device does not end the search: `?token=` is tried
  next. Anything else (no token, unknown token, or a disabled device's token given as an argument):
  401 `"Unauthorized"`. Bodies are JSON strings, as upstream's device endpoints answer.

Not implemented: upstream's client-certificate form (NGINX turns a verified client certificate into an
`X-Device-Uuid` header). Our front door does not ask for client certificates, so that header is ignored here:
honouring it would let any client claim to be any device.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g, jsonify, request
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraServerSettings import TeraServerSettings

from teraserver import context, queries
from teraserver.verified_tokens import verified_payload

log = logging.getLogger("teraserver.device_auth")

TOKEN_SCHEME = "OpenTera"  # compared case-sensitively, as upstream does for devices

UNAUTHORIZED = "Unauthorized"
DISABLED = "Disabled device"
MALFORMED = "Invalid token"

F = TypeVar("F", bound=Callable[..., Any])


class Refused(Exception):
    """No usable device token: `message` is the 401's body, `reason` goes to the log."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


def device_token_key() -> str | None:
    """The `TokenEncryptionKey` server setting, read from the database at each check (as upstream)."""
    return TeraServerSettings.get_server_setting_value(TeraServerSettings.ServerDeviceTokenKey)


def device_by_token(token: str | None) -> TeraDevice | None:
    """The live device whose stored token is `token` and verifies under the current key, else None.

    Enabled or not: the caller decides. Upstream lets a signature failure escape as a 500; here it is simply
    "no device".
    """
    if not token or not isinstance(token, str):
        return None
    if context.fast_paths():
        found = queries.device_by_token(token)
        if found is None:
            return None
        device, key = found
    else:
        device = TeraDevice.query.filter(TeraDevice.device_token == token).first()
        if device is None:
            return None
        key = device_token_key()
    payload = verified_payload(token, key)
    if payload is None or payload.get("device_uuid") != device.device_uuid:
        return None
    return device


def header_token(header: str | None) -> str | None:
    """The token of an `Authorization: OpenTera <token>` header; None without a header or with another scheme.
    Refused when the header is not "<scheme> <credentials>"."""
    if header is None:
        return None
    parts = header.split(None, 1)
    if len(parts) != 2:
        raise Refused(MALFORMED, "malformed Authorization header")
    scheme, token = parts
    return token if scheme == TOKEN_SCHEME else None


def argument_token() -> str | None:
    """`token` from the query string, a form field or a JSON object body (upstream's non-strict parse)."""
    token = request.args.get("token")
    if token is None and request.form:
        token = request.form.get("token")
    if token is None and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            token = body["token"]
    return token


def authenticate_device() -> TeraDevice:
    """The enabled device calling, or Refused."""
    token = header_token(request.headers.get("Authorization"))
    if token is not None:
        device = device_by_token(token)
        if device is not None:
            if not device.device_enabled:
                raise Refused(DISABLED, "disabled device (header token)")
            return device
        # Upstream goes on to the token argument when the header's token matches no device.
    device = device_by_token(argument_token())
    if device is None:
        raise Refused(UNAUTHORIZED, "no valid device token")
    if not device.device_enabled:
        # Upstream's argument branch does not tell a disabled device apart.
        raise Refused(UNAUTHORIZED, "disabled device (token argument)")
    return device


def refused_response(refused: Refused) -> Response:
    log.info("device request refused", extra={"reason": refused.reason, "path": request.path})
    response = jsonify(refused.message)
    response.status_code = 401
    return response


def device_token_required(fn: F) -> F:
    """Run the resource method only for an enabled device with a valid token (see `current_device()`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            g.current_device = authenticate_device()
        except Refused as refused:
            return refused_response(refused)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_device() -> TeraDevice:
    return g.current_device
