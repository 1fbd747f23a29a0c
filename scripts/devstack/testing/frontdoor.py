"""HTTPS clients of a stack's front door: a session that trusts the stack's CA, and TeraServer's login."""

from __future__ import annotations

import time
from pathlib import Path

import requests

# Statuses NGINX answers for a few moments while a backend (re)starts or is re-resolved.
TRANSIENT_STATUSES = (502, 503)


class FrontDoorSession(requests.Session):
    """requests.Session rooted at the stack's front door, trusting its CA.

    Right after start NGINX may answer 502 while a backend re-resolves; a few short retries absorb that.
    """

    def __init__(self, base_url: str, ca_file: Path) -> None:
        super().__init__()
        self.base_url = base_url
        self.verify = str(ca_file)

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 15)
        # Passed per request: requests lets REQUESTS_CA_BUNDLE from the environment override Session.verify.
        kwargs.setdefault("verify", self.verify)
        for _ in range(10):
            response = super().request(method, url, *args, **kwargs)
            if response.status_code not in TRANSIENT_STATUSES:
                return response
            time.sleep(0.5)
        return response


def login(session: requests.Session, username: str, password: str) -> str:
    """A user token from TeraServer's login endpoint (HTTP Basic), as every OpenTera client gets one."""
    response = session.get("/api/user/login", auth=(username, password))
    response.raise_for_status()
    return response.json()["user_token"]
