"""The service object of the running app, for the API resources."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import requests
from flask import current_app

from libservice.access import AccessDenied, TeraServerUnavailable
from libservice.service import SampleService

EXTENSION_NAME = "opentera_service"


def current_service() -> SampleService:
    return current_app.extensions[EXTENSION_NAME]


def answers_access_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """TeraServer's refusals become 403/404 with the reason; TeraServer failures become 502."""

    @wraps(function)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except AccessDenied as denied:
            return {"message": denied.message}, denied.status
        except (TeraServerUnavailable, requests.RequestException) as error:
            current_service().logger.log_error(current_service().service_key, "TeraServer call failed", str(error))
            return {"message": f"TeraServer call failed: {error}"}, 502

    return decorated
