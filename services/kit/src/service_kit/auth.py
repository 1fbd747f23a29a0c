"""Authentication of the REST API: the package's ServiceAccessManager decorators, plus two additions.

1. A request with no credentials at all gets 401 (the package answers 403 for everything; 401 tells a
   client to log in, 403 that logging in again will not help).
2. A token whose signature does not match the key we hold makes us check whether TeraServer restarted and
   rotated its keys before the package's check runs, so tokens of the restarted TeraServer work at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

import jwt
from flask import request
from opentera.services.ServiceAccessManager import ServiceAccessManager, current_user_client

SERVICE_ROLES: tuple[str, ...] = ("admin", "user")


def presented_token() -> str | None:
    """The token the client sent, looked up where the package looks: header, `token` argument, cookie."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme == "OpenTera" and value.strip():
        return value.strip()
    token = request.args.get("token") or request.form.get("token")
    if token:
        return token
    return request.cookies.get(ServiceAccessManager.token_cookie_name) or None


def signed_with_another_key(token: str) -> bool:
    try:
        jwt.decode(token, ServiceAccessManager.api_user_token_key, algorithms=["HS256"])
    except jwt.InvalidSignatureError:
        return True
    except jwt.PyJWTError:
        return False
    return False


def user_required(roles: Sequence[str] = SERVICE_ROLES) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A user token from TeraServer with at least one of `roles` for this service (superadmins always pass)."""

    def wrap(function: Callable[..., Any]) -> Callable[..., Any]:
        checked = ServiceAccessManager.token_required(allow_dynamic_tokens=True, allow_static_tokens=False)(
            ServiceAccessManager.service_user_roles_any_required(list(roles))(function)
        )

        @wraps(function)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            token = presented_token()
            if token is None:
                return "Unauthorized", 401
            if signed_with_another_key(token):
                ServiceAccessManager.service.refresh_if_keys_rotated()
            return checked(*args, **kwargs)

        return decorated

    return wrap


def current_service_roles(service_key: str) -> list[str]:
    """The current user's roles for this service; a superadmin holds every role."""
    if current_user_client.user_superadmin:
        return list(SERVICE_ROLES)
    return list(current_user_client.get_roles_for_service(service_key))
