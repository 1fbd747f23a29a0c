"""Login events for a logging service, written as upstream's server writes them.

Upstream logs every login through the opentera package's `LoggingClient`: a `LoginEvent` (protobuf) packed in a
`TeraEvent` whose header topic is `log.<level>`, appended (RPUSH) to the Redis list of that name, where a logging
service drains it. Successful logins are level INFO, failures level ERROR. What each event says:

* `sender`: "TeraServer.FlaskModule" for what a login endpoint decides (success, client refused), and
  "LoginModule.<check>" for what the password check refuses (e.g. "LoginModule.user_verify_password").
* `login_type`: password (Basic), token, or certificate; `login_status`: success, wrong username (the tried name
  in `message`), wrong password, disabled account, too many attempts, already logged in, unknown.
* The client as its request describes it (upstream's UserAgentParser, from the package): the User-Agent's
  browser/OS family and version, overridden by `X-Client-Name`, `X-Client-Version`, `X-OS-Name`,
  `X-OS-Version`; the client's address; the Flask endpoint name as `server_endpoint`.
* Exactly one of `user_uuid`, `participant_uuid`, `device_uuid` (none for an unknown name).

The package's own LoggingClient does the packing, so the wire format cannot drift from what a logging service
parses; only its Redis connection is ours (the app's pool instead of one connection per client). Sending never
fails a login: a Redis error is logged and dropped, as upstream's client does.
"""

from __future__ import annotations

import logging

import redis
from flask import request
from opentera.logging.LoggingClient import LoggingClient
from opentera.messages.python.LogEvent_pb2 import LogEvent
from opentera.messages.python.LoginEvent_pb2 import LoginEvent
from opentera.utils.UserAgentParser import UserAgentParser

from teraserver import context

log = logging.getLogger("teraserver.login_events")

FLASK_MODULE = "TeraServer.FlaskModule"
PASSWORD = LoginEvent.LOGIN_TYPE_PASSWORD
TOKEN = LoginEvent.LOGIN_TYPE_TOKEN
CERTIFICATE = LoginEvent.LOGIN_TYPE_CERTIFICATE
SUCCESS = LoginEvent.LOGIN_STATUS_SUCCESS
WRONG_USERNAME = LoginEvent.LOGIN_STATUS_FAILED_WITH_WRONG_USERNAME
WRONG_PASSWORD = LoginEvent.LOGIN_STATUS_FAILED_WITH_WRONG_PASSWORD
DISABLED_ACCOUNT = LoginEvent.LOGIN_STATUS_FAILED_WITH_DISABLED_ACCOUNT
MAX_ATTEMPTS = LoginEvent.LOGIN_STATUS_FAILED_WITH_MAX_ATTEMPTS_REACHED
ALREADY_LOGGED_IN = LoginEvent.LOGIN_STATUS_FAILED_WITH_ALREADY_LOGGED_IN
UNKNOWN = LoginEvent.LOGIN_STATUS_UNKNOWN


class PooledLoggingClient(LoggingClient):
    """The package's LoggingClient on a Redis client we already have."""

    def __init__(self, client: redis.Redis, client_name: str = "LoggingClient_TeraServer") -> None:
        self.client_name = client_name
        self.redis = client


def send(
    status: int,
    *,
    login_type: int = PASSWORD,
    sender: str = FLASK_MODULE,
    user_uuid: str = "",
    participant_uuid: str = "",
    device_uuid: str = "",
    message: str = "",
) -> None:
    """One LoginEvent about the current request: INFO for a success, ERROR otherwise."""
    try:
        infos = UserAgentParser.parse_request_for_login_infos(request)
        PooledLoggingClient(context.redis_client()).send_login_event(
            sender=sender,
            level=LogEvent.LOGLEVEL_INFO if status == SUCCESS else LogEvent.LOGLEVEL_ERROR,
            login_type=login_type,
            login_status=status,
            client_name=infos["client_name"] or "",
            client_version=infos["client_version"] or "",
            client_ip=infos["client_ip"] or "",
            os_name=infos["os_name"] or "",
            os_version=infos["os_version"] or "",
            user_uuid=user_uuid,
            participant_uuid=participant_uuid,
            device_uuid=device_uuid,
            server_endpoint=infos["server_endpoint"] or "",
            message=message,
        )
    except Exception:  # noqa: BLE001 - a login must not fail because its log line could not be written
        log.warning("login event not sent", exc_info=True)
