"""Token claims and the user-token check, using the package's TeraUser model without a database."""

import time

import jwt
from opentera.db.models.TeraUser import TeraUser

from teraserver.tokens import USER_REFRESH_TOKEN_LIFETIME, USER_TOKEN_LIFETIME, decode_user_token, sign_user_token

KEY = "k" * 32


def _superadmin() -> TeraUser:
    user = TeraUser()
    user.id_user = 1
    user.user_uuid = "00000000-0000-0000-0000-00000000abcd"
    user.user_firstname = "Super"
    user.user_lastname = "Admin"
    user.user_superadmin = True  # superadmins skip the group walk: service_access is {}
    return user


def test_user_token_claims_are_upstreams() -> None:
    before = int(time.time())
    token = sign_user_token(_superadmin(), KEY)
    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, KEY, algorithms=["HS256"])
    assert header["alg"] == "HS256"
    assert set(payload) == {
        "iat",
        "exp",
        "iss",
        "jti",
        "user_uuid",
        "id_user",
        "user_fullname",
        "user_superadmin",
        "service_access",
    }
    assert payload["iss"] == "TeraServer"
    assert payload["user_fullname"] == "Super Admin"
    assert payload["service_access"] == {}
    assert payload["exp"] - payload["iat"] == USER_TOKEN_LIFETIME == 3600
    assert payload["iat"] >= before


def test_refresh_lifetime() -> None:
    payload = jwt.decode(sign_user_token(_superadmin(), KEY, USER_REFRESH_TOKEN_LIFETIME), KEY, algorithms=["HS256"])
    assert payload["exp"] - payload["iat"] == 1800


def test_decode_rejects_wrong_key_expired_and_incomplete() -> None:
    token = sign_user_token(_superadmin(), KEY)
    assert decode_user_token(token, KEY)["user_uuid"] == "00000000-0000-0000-0000-00000000abcd"
    assert decode_user_token(token, KEY.encode()) is not None  # Redis hands the key over as bytes
    assert decode_user_token(token, "other-key") is None
    assert decode_user_token(token, None) is None
    assert decode_user_token("", KEY) is None
    expired = jwt.encode({"user_uuid": "u", "exp": int(time.time()) - 10}, KEY, algorithm="HS256")
    assert decode_user_token(expired, KEY) is None
    no_exp = jwt.encode({"user_uuid": "u"}, KEY, algorithm="HS256")
    assert decode_user_token(no_exp, KEY) is None
