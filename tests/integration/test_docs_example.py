"""Integration tests of the sample service, written as a service author would (the example of docs/testing.md)."""

from __future__ import annotations

SERVICE_KEY = "SampleService"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def test_me_answers_the_admin(https, service_url, user_token) -> None:
    response = https.get(service_url(SERVICE_KEY) + "api/me", headers=bearer(user_token("admin", "admin")))
    assert response.status_code == 200
    assert response.json()["service_key"] == SERVICE_KEY
    assert response.json()["user_superadmin"] is True


def test_me_without_a_token_is_401(https, service_url) -> None:
    assert https.get(service_url(SERVICE_KEY) + "api/me").status_code == 401


def test_the_service_token_is_accepted_by_teraserver(https, service_token) -> None:
    response = https.get(
        "/api/service/services", params={"service_key": SERVICE_KEY}, headers=bearer(service_token(SERVICE_KEY))
    )
    assert response.status_code == 200
    assert response.json()[0]["service_key"] == SERVICE_KEY


def test_the_service_database_holds_its_tables(postgres) -> None:
    tables = postgres("openterasample")("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert ["t_notes"] in tables
