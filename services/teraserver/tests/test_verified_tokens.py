"""verified_payload (teraserver.verified_tokens): PyJWT's answers, with the signature work remembered."""

from __future__ import annotations

import time

import jwt
import pytest

from teraserver import verified_tokens
from teraserver.verified_tokens import verified_payload

KEY = b"k" * 32


def token(**claims: object) -> str:
    return jwt.encode({"iat": int(time.time()), **claims}, KEY, algorithm="HS256")


def test_a_valid_token_gives_its_payload_and_a_wrong_key_or_tampering_nothing() -> None:
    signed = token(service_uuid="abc")
    assert verified_payload(signed, KEY)["service_uuid"] == "abc"
    assert verified_payload(signed, KEY)["service_uuid"] == "abc"  # from the memo
    assert verified_payload(signed, b"x" * 32) is None
    header, payload, signature = signed.split(".")
    assert verified_payload(f"{header}.{payload}.{signature[:-2]}AA", KEY) is None
    assert verified_payload("", KEY) is None
    assert verified_payload(signed, None) is None


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    signed = token(user_uuid="u", exp=int(now) + 60)
    assert verified_payload(signed, KEY) is not None
    monkeypatch.setattr(verified_tokens.time, "time", lambda: now + 61)
    assert verified_payload(signed, KEY) is None


def test_expired_and_not_yet_valid_tokens_are_refused_as_pyjwt_does() -> None:
    now = int(time.time())
    assert verified_payload(token(exp=now - 1), KEY) is None
    assert verified_payload(jwt.encode({"nbf": now + 300}, KEY, algorithm="HS256"), KEY) is None
    assert verified_payload(jwt.encode({"iat": now + 300}, KEY, algorithm="HS256"), KEY) is None


def test_callers_get_a_copy_and_the_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    signed = token(user_uuid="u")
    verified_payload(signed, KEY)["user_uuid"] = "changed by a caller"
    assert verified_payload(signed, KEY)["user_uuid"] == "u"
    monkeypatch.setattr(verified_tokens, "MEMO_SIZE", 8)
    for number in range(50):
        assert verified_payload(token(n=number), KEY) is not None
    assert len(verified_tokens._memo) <= 8
