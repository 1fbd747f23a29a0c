"""Input a database or a JSON parser chokes on gets a 400 (or 413), never a 500 (issue 17): a NUL character (which
PostgreSQL text cannot hold), a lone UTF-16 surrogate (which UTF-8 cannot encode), JSON nested deeper than a parser
should follow, and a body far larger than any TeraServer resource takes.
"""

from __future__ import annotations

import pytest

from devstack.testing.frontdoor import FrontDoorSession

JSON = {"Content-Type": "application/json"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def project_body(name_json: str) -> bytes:
    return ('{"project": {"id_project": 0, "id_site": 1, "project_name": ' + name_json + "}}").encode()


@pytest.mark.parametrize(
    "name_json",
    [
        '"nul \\u0000 inside"',  # a NUL character, escaped in JSON
        '"lone \\ud800 surrogate"',  # half of a UTF-16 pair
        '"\\udfff"',
    ],
)
def test_bad_characters_in_a_body_are_400(https: FrontDoorSession, admin_token: str, name_json: str) -> None:
    response = https.post("/api/user/projects", data=project_body(name_json), headers={**JSON, **auth(admin_token)})
    assert response.status_code == 400, response.text
    assert response.json() in ("Invalid JSON body: a NUL character", "Invalid JSON body: a lone surrogate")


def test_a_nul_in_a_query_is_400(https: FrontDoorSession, admin_token: str) -> None:
    response = https.get("/api/user/projects?name=a%00b", headers=auth(admin_token))
    assert (response.status_code, response.json()) == (400, "Invalid query argument 'name': a NUL character")
    # Bytes that are no UTF-8 (an encoded surrogate) are read as replacement characters: nothing matches.
    assert https.get("/api/user/projects?name=%ED%A0%80", headers=auth(admin_token)).status_code == 200


def test_deeply_nested_json_is_400(https: FrontDoorSession, admin_token: str) -> None:
    depth = 100_000
    body = ('{"project": ' + "[" * depth + "]" * depth + "}").encode()
    response = https.post("/api/user/projects", data=body, headers={**JSON, **auth(admin_token)})
    assert response.status_code == 400, response.text[:300]


def test_a_huge_body_is_refused(https: FrontDoorSession, admin_token: str) -> None:
    name = "x" * (3 * 1024 * 1024)
    response = https.post(
        "/api/user/projects",
        json={"project": {"id_project": 0, "id_site": 1, "project_name": name}},
        headers=auth(admin_token),
    )
    assert response.status_code == 413, response.text[:300]


def test_participant_and_device_apis_refuse_bad_characters_too(https: FrontDoorSession) -> None:
    for path in ("/api/participant/sessions", "/api/device/sessions", "/api/service/sessions"):
        response = https.post(path + "?token=x%00y", data=b'{"session": {}}', headers=JSON)
        assert response.status_code == 400, (path, response.status_code, response.text)
        response = https.post(path, data=b'{"session": {"session_name": "\\u0000"}}', headers=JSON)
        assert response.status_code in (400, 401), (path, response.status_code, response.text)
