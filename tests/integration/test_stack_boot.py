"""From empty volumes the stack comes up healthy, wired together, with TeraServer booted as upstream's."""

from __future__ import annotations

import json
import re

import jwt
import pytest
import redis
import requests
import yaml

from devstack import compose
from devstack.testing.plugin import ADMIN_PASSWORD, ADMIN_USERNAME, FrontDoorSession, login
from devstack.testing.stack import Stack

LONG_RUNNING = {"db", "redis", "teraserver", "proxy"}
TOKEN_KEYS = (
    "UserTokenAPIKey",
    "ParticipantTokenAPIKey",
    "ServiceTokenAPIKey",
    "DeviceTokenAPIKey",
    "DeviceStaticTokenAPIKey",
    "ParticipantStaticTokenAPIKey",
)
KEY_PATTERN = re.compile(r"^[0-9A-Za-z]{32}$")
# Upstream's default system services other than OpenTeraServer, with their ports.
DEFAULT_SERVICES = {
    "LoggingService": 4041,
    "FileTransferService": 4042,
    "EmailService": 4043,
    "VideoRehabService": 4070,
}
# Per-kind endpoints upstream's defaults set; the others are absent from the JSON.
EXTRA_ENDPOINTS = {"VideoRehabService": {"service_endpoint_participant": "/participant"}}
SERVICE_JSON_KEYS = [
    "id_service",
    "service_clientendpoint",
    "service_default_config",
    "service_editable_config",
    "service_enabled",
    "service_endpoint",
    "service_has_assets",
    "service_has_tests",
    "service_hostname",
    "service_key",
    "service_name",
    "service_port",
    "service_system",
    "service_uuid",
    "service_roles",
    "service_projects",
]


def authorization(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def test_every_service_is_healthy_and_the_certificate_job_succeeded(devstack: Stack) -> None:
    states = devstack.service_states()
    for service in LONG_RUNNING:
        assert states[service]["state"] == "running", (service, states[service])
        assert states[service]["health"] == "healthy", (service, states[service])
    assert states["certs"]["state"] == "exited"
    assert states["certs"]["exit_code"] == "0"


def test_compose_file_follows_the_house_rules(devstack: Stack) -> None:
    config = yaml.safe_load(devstack.run("config").stdout)
    for name, service in config["services"].items():
        assert "container_name" not in service, name
        for volume in service.get("volumes", []):
            assert "docker.sock" not in str(volume.get("source", "")), name
        one_shot_job = service.get("restart") == "no"
        if not one_shot_job:
            assert "healthcheck" in service and service["healthcheck"].get("start_period"), name
        for port in service.get("ports", []):
            if name != "proxy":
                assert port["host_ip"] == "127.0.0.1", (name, port)


def test_admin_logs_in_through_nginx_and_the_token_works(https: FrontDoorSession, redis_client: redis.Redis) -> None:
    response = https.get("/api/user/login", auth=(ADMIN_USERNAME, ADMIN_PASSWORD))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"user_uuid", "user_fullname", "user_token"}
    assert body["user_fullname"] == "Super Admin"

    token = body["user_token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, redis_client.get("UserTokenAPIKey"), algorithms=["HS256"])
    assert claims["iss"] == "TeraServer"
    assert claims["user_uuid"] == body["user_uuid"]
    assert claims["user_superadmin"] is True
    assert claims["service_access"] == {}
    assert claims["exp"] - claims["iat"] == 3600
    assert {"id_user", "user_fullname", "jti"} <= set(claims)

    services = https.get("/api/user/services", headers=authorization(token))
    assert services.status_code == 200, services.text
    keys = {service["service_key"] for service in services.json()}
    assert keys >= set(DEFAULT_SERVICES), "every default service"
    assert "OpenTeraServer" not in keys, "never the server itself, as upstream"


def test_test_stacks_hash_passwords_at_bcrypts_lowest_cost(devstack: Stack) -> None:
    """The test kit's stacks set TERASERVER_BCRYPT_ROUNDS=4 (compose.yaml's default is upstream's 12): the
    superadmin made at boot carries a cost-4 hash (the other tests log in with it)."""
    if devstack.override_file is None:
        pytest.skip("a reused stack (--devstack-reuse) runs with .env's own TERASERVER_BCRYPT_ROUNDS")
    assert devstack.values()["TERASERVER_BCRYPT_ROUNDS"] == "4"
    [[stored]] = devstack.psql(f"SELECT user_password FROM t_users WHERE user_username = '{ADMIN_USERNAME}'")
    assert stored.startswith("$2b$04$"), stored[:7]
    assert devstack.config()["services"]["teraserver"]["environment"]["TERASERVER_BCRYPT_ROUNDS"] == "4"


def test_test_stacks_probe_health_every_five_minutes_once_healthy(devstack: Stack) -> None:
    """The test kit's stacks set DEVSTACK_HEALTHCHECK_INTERVAL=300 (compose.yaml's default is 30): every long-running
    service, the generated ones (the sample) too, probes every 300 s, and still every second while starting."""
    if devstack.override_file is None:
        pytest.skip("a reused stack (--devstack-reuse) runs with .env's own DEVSTACK_HEALTHCHECK_INTERVAL")
    ids = {container.service: container.id for container in devstack.compose.ps()}
    inspected = compose.inspect_containers(ids.values())
    for service in (*LONG_RUNNING, "sample"):
        probe = inspected[ids[service]]["Config"]["Healthcheck"]
        assert (probe["Interval"], probe["StartInterval"]) == (300 * 10**9, 10**9), (service, probe)


def test_wrong_password_and_missing_token_are_refused(https: FrontDoorSession) -> None:
    assert https.get("/api/user/login", auth=(ADMIN_USERNAME, "not-the-password")).status_code == 401
    assert https.get("/api/user/services").status_code == 401
    assert https.get("/api/user/services", headers=authorization("not.a.token")).status_code == 401


def test_refresh_then_logout_revoke_the_tokens(https: FrontDoorSession, redis_client: redis.Redis) -> None:
    token = login(https, ADMIN_USERNAME, ADMIN_PASSWORD)
    refreshed = https.get("/api/user/refresh_token", headers=authorization(token))
    assert refreshed.status_code == 200, refreshed.text
    new_token = refreshed.json()["refresh_token"]
    claims = jwt.decode(new_token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1800

    assert https.get("/api/user/services", headers=authorization(token)).status_code == 401
    assert redis_client.sismember("user_disabled_tokens", token)
    assert https.get("/api/user/services", headers=authorization(new_token)).status_code == 200

    logout = https.get("/api/user/logout", headers=authorization(new_token))
    assert logout.status_code == 200
    assert redis_client.sismember("user_disabled_tokens", new_token)
    assert https.get("/api/user/services", headers=authorization(new_token)).status_code == 401


def server_setting(devstack: Stack, name: str) -> str:
    rows = devstack.psql(f"SELECT server_settings_value FROM t_server_settings WHERE server_settings_name = '{name}'")
    assert len(rows) == 1, name
    return rows[0][0]


def test_redis_holds_the_six_token_keys(devstack: Stack, redis_client: redis.Redis) -> None:
    keys = {name: redis_client.get(name) for name in TOKEN_KEYS}
    for name, value in keys.items():
        assert value is not None and KEY_PATTERN.match(value), name
    device_key = server_setting(devstack, "TokenEncryptionKey")
    assert keys["DeviceTokenAPIKey"] == keys["DeviceStaticTokenAPIKey"] == device_key
    assert keys["ParticipantStaticTokenAPIKey"] == server_setting(devstack, "ParticipantTokenEncryptionKey")
    dynamic = {keys["UserTokenAPIKey"], keys["ParticipantTokenAPIKey"], keys["ServiceTokenAPIKey"]}
    assert len(dynamic) == 3 and device_key not in dynamic


def test_redis_describes_every_enabled_service_as_upstream(devstack: Stack, redis_client: redis.Redis) -> None:
    described_keys = {key.removeprefix("service.") for key in redis_client.scan_iter("service.*")}
    # Upstream's defaults, plus the services the stack registers from their manifests; never the server itself.
    assert described_keys >= set(DEFAULT_SERVICES)
    assert "OpenTeraServer" not in described_keys
    uuids = dict(devstack.psql("SELECT service_key, service_uuid FROM t_services"))
    for key, port in DEFAULT_SERVICES.items():
        raw = redis_client.get(f"service.{key}")
        described = json.loads(raw)
        # Upstream's exact shape: columns alphabetically, then roles and projects; endpoint_* only when set.
        expected_keys = sorted(SERVICE_JSON_KEYS[:-2] + list(EXTRA_ENDPOINTS.get(key, {}))) + SERVICE_JSON_KEYS[-2:]
        assert list(described) == expected_keys, key
        for endpoint, value in EXTRA_ENDPOINTS.get(key, {}).items():
            assert described[endpoint] == value
        assert described["service_key"] == key
        assert described["service_port"] == port
        assert described["service_hostname"] == "127.0.0.1"
        assert described["service_uuid"] == uuids[key]
        assert described["service_enabled"] is True and described["service_system"] is True
        assert described["service_default_config"] == "{}"
        assert [role["service_role_name"] for role in described["service_roles"]] == ["admin", "user"]
        assert described["service_projects"] == []
        assert raw.isascii(), "json.dumps escapes non-ASCII, as upstream"


def test_database_holds_upstream_defaults_and_alembic_head(devstack: Stack) -> None:
    services = devstack.psql("SELECT id_service, service_key FROM t_services ORDER BY id_service")
    # Upstream's default rows first, in upstream's order; the stack's own services are registered after them.
    assert [key for _, key in services][:5] == [
        "OpenTeraServer",
        "LoggingService",
        "FileTransferService",
        "EmailService",
        "VideoRehabService",
    ]
    # Other tests share this stack and add rows: check upstream's first rows, not the counts.
    assert devstack.psql("SELECT site_name FROM t_sites WHERE id_site = 1") == [["Default Site"]]
    assert devstack.psql("SELECT user_username, user_superadmin FROM t_users WHERE id_user = 1") == [["admin", "t"]]
    assert devstack.psql("SELECT version_num FROM alembic_version") == [["6b9c4707d8ef"]]
    names = {row[0] for row in devstack.psql("SELECT server_settings_name FROM t_server_settings")}
    assert names >= {"TokenEncryptionKey", "ParticipantTokenEncryptionKey", "DeviceRegisterKey", "ServerUUID"}
    # Dev convenience (a documented deviation): no forced password change for the default admin.
    assert devstack.psql("SELECT user_force_password_change FROM t_users WHERE user_username='admin'") == [["f"]]


def test_proxy_headers_reach_teraserver(https: FrontDoorSession, devstack: Stack) -> None:
    response = https.get("/api/user/login", params={"with_websocket": "true"}, auth=(ADMIN_USERNAME, ADMIN_PASSWORD))
    assert response.status_code == 200, response.text
    # Host and port come from X_ExternalServer / X-ExternalPort, i.e. what this client used.
    assert response.json()["websocket_url"].startswith(f"wss://localhost:{devstack.https_port}/wss/user?id=")


def test_plain_http_on_the_tls_port_is_redirected(devstack: Stack) -> None:
    response = requests.get(
        f"http://localhost:{devstack.https_port}/api/user/login?x=1", allow_redirects=False, timeout=10
    )
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://localhost:{devstack.https_port}/api/user/login?x=1"


def test_tls_certificate_is_signed_by_the_stack_ca(devstack: Stack) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(devstack.base_url + "/health", timeout=10)  # the system trust store does not know our CA


def test_swagger_ui_and_document(https: FrontDoorSession) -> None:
    document = https.get("/api/swagger.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "OpenTeraServer API"
    assert "/user/login" in document.json()["paths"]
    page = https.get("/doc")
    assert page.status_code == 200
    assert "swagger" in page.text.lower()


def test_health_endpoint_and_direct_port(https: FrontDoorSession, devstack: Stack) -> None:
    assert https.get("/health").json() == {"status": "ok"}
    direct = requests.get(f"http://127.0.0.1:{devstack.host_port('teraserver', 4040)}/health", timeout=10)
    assert direct.status_code == 200
