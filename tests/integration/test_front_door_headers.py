"""The front door sets or clears every header TeraServer and services trust for the URLs they hand out (issue 17):
a client cannot make TeraServer give out links to another host by sending its own spelling of those headers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.plugin import ADMIN_PASSWORD, ADMIN_USERNAME

SPOOFED = {
    "X-ExternalServer": "evil.example",
    "X_ExternalServer": "evil.example",
    "X-ExternalPort": "6666",
    "X_ExternalPort": "6666",
    "X-ExternalHost": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Server": "evil.example",
    "X-Forwarded-Port": "6666",
    "X-Scheme": "http",
}


@pytest.mark.parametrize("header", sorted(SPOOFED))
def test_a_client_header_does_not_change_the_urls_teraserver_hands_out(https: FrontDoorSession, header: str) -> None:
    response = https.get(
        "/api/user/login",
        params={"with_websocket": "true"},
        auth=(ADMIN_USERNAME, ADMIN_PASSWORD),
        headers={header: SPOOFED[header]},
    )
    assert response.status_code == 200, response.text
    url = urlsplit(response.json()["websocket_url"])
    front = urlsplit(https.base_url)
    assert (url.hostname, url.port) == (front.hostname, front.port), (header, url.geturl())
