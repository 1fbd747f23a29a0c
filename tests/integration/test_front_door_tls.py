"""The front door's TLS profile and security headers (issue 17).

TLS: Mozilla's "intermediate" profile without DHE: TLS 1.3 as is, and on TLS 1.2 only suites with forward
secrecy (ECDHE) and an AEAD cipher (GCM, ChaCha20-Poly1305). The test offers the front door every TLS 1.2
suite this machine's OpenSSL knows, one at a time, and prints the accepted list.
Headers: nosniff, same-origin framing and a referrer policy on every answer (TeraServer's, a service's, an
error); HSTS only when the client reached a real host name, never on localhost or an IP address.
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import pytest

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.stack import Stack

pytestmark = pytest.mark.docker

ACCEPTABLE_TLS12 = {
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
}
# Suites the old configuration accepted: CBC with ECDHE, and static RSA key exchange (no forward secrecy).
MUST_REFUSE = ("ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384", "AES128-GCM-SHA256", "AES256-SHA")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def every_tls12_suite() -> list[str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_ciphers("ALL:@SECLEVEL=0")
    # Suites OpenSSL files under older protocol versions (the CBC ones) are offered on TLS 1.2 too.
    return sorted({c["name"] for c in context.get_ciphers() if c["protocol"] != "TLSv1.3"})


def handshake(port: int, *, suite: str | None = None, version: ssl.TLSVersion) -> str | None:
    """The suite the front door picked for a client offering only `suite` at `version`, or None if refused."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = context.maximum_version = version
    if suite is not None:
        context.set_ciphers(f"{suite}:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                return tls.cipher()[0]
        except (ssl.SSLError, ConnectionResetError):
            return None


def test_tls12_accepts_only_forward_secret_aead_suites_and_tls13_works(devstack: Stack) -> None:
    port = urlsplit(devstack.base_url).port
    offered = every_tls12_suite()
    assert set(MUST_REFUSE) <= set(offered), "this machine's OpenSSL cannot offer the suites to check"
    accepted = [suite for suite in offered if handshake(port, suite=suite, version=ssl.TLSVersion.TLSv1_2)]
    print(f"TLS 1.2 suites accepted ({len(accepted)} of {len(offered)} offered): {', '.join(accepted)}")
    assert accepted, "no TLS 1.2 suite at all"
    assert set(accepted) <= ACCEPTABLE_TLS12, sorted(set(accepted) - ACCEPTABLE_TLS12)
    assert "ECDHE-RSA-AES128-GCM-SHA256" in accepted
    for suite in MUST_REFUSE:
        assert suite not in accepted
    assert handshake(port, version=ssl.TLSVersion.TLSv1_3) is not None


@pytest.mark.parametrize("path", ["/api/user/login", "/doc", "/sample/", "/no-such-page"])
def test_every_answer_carries_the_security_headers_and_no_hsts_on_localhost(https: FrontDoorSession, path: str) -> None:
    answer = https.get(path, allow_redirects=False)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (path, answer.status_code, name, answer.headers.get(name))
    assert "Strict-Transport-Security" not in answer.headers


def test_hsts_only_for_a_real_host_name(https: FrontDoorSession) -> None:
    port = urlsplit(https.base_url).port
    for host, expected in (
        ("opentera.example.org", "max-age=31536000"),
        ("localhost", None),
        ("127.0.0.1", None),
    ):
        answer = https.get("/api/user/login", headers={"Host": f"{host}:{port}"}, allow_redirects=False)
        assert answer.headers.get("Strict-Transport-Security") == expected, (host, answer.headers)
