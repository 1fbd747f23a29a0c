"""The service against a running stack, through NGINX's front door, with the `devstack` pytest plugin.

From this folder: `pytest --devstack-reuse opentera-devstack` runs them against the stack `devstack up` started;
plain `pytest` starts a throwaway copy of the stack for the session first (minutes). See docs/testing.md.
Key, prefix, health path and frontend come from ../service.yaml, so the tests follow a changed manifest.
"""

from __future__ import annotations

from pathlib import Path

from devstack import manifest

HERE = Path(__file__).resolve().parent
SERVICE = manifest.load_manifest(HERE.parent / manifest.MANIFEST_NAME, HERE.parents[2])


def url(path: str) -> str:
    """A path below the service's public prefix, relative to the front door (the `https` fixture's root)."""
    return f"{SERVICE.prefix}/{path.lstrip('/')}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def test_health_path_answers_through_nginx(https) -> None:
    assert https.get(url(SERVICE.health_path)).status_code == 200


def test_me_answers_a_user_token(https, admin_token) -> None:
    response = https.get(url("api/me"), headers=bearer(admin_token))
    assert response.status_code == 200, response.text[:300]
    assert response.json()["service_key"] == SERVICE.key
    assert response.json()["user_superadmin"] is True


def test_me_without_a_token_is_401(https) -> None:
    assert https.get(url("api/me")).status_code == 401


def test_frontend_page_is_served_when_the_manifest_has_one(https) -> None:
    page = https.get(url(""))
    if SERVICE.frontend:
        assert page.status_code == 200 and "<html" in page.text.lower(), page.text[:300]
    else:
        assert page.status_code == 404
