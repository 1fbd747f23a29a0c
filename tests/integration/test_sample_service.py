"""The sample service (services/sample) in the running stack, reached through NGINX like a browser would.

Covers its public surface (version, Swagger, the Frontend), authentication with TeraServer's user tokens
(401 / 403 as documented), the notes feature scoped by TeraServer, its Redis mechanisms (RPC, database
events), and that it keeps working and keeps its data across restarts of itself and of TeraServer.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from devstack.testing.plugin import FrontDoorSession, login
from devstack.testing.stack import Stack

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "services" / "sample"
MANIFEST = yaml.safe_load((SAMPLE_DIR / "service.yaml").read_text(encoding="utf-8"))
PREFIX = MANIFEST["prefix"]
SERVICE_KEY = MANIFEST["key"]
DEV_PROJECT_NAME = "DevStack Project"
HEALTH_TIMEOUT_SECONDS = 120


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def wait_healthy(stack: Stack, service: str, timeout: float = HEALTH_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.service_states().get(service, {}).get("health") == "healthy":
            return
        time.sleep(1)
    pytest.fail(f"{service} not healthy after {timeout} s:\n{stack.logs(service, tail=40)}")


def restart(stack: Stack, service: str) -> None:
    stack.run("restart", service)
    wait_healthy(stack, service)


def container_started_at(stack: Stack, service: str) -> str:
    container_id = stack.run("ps", "-q", service).stdout.strip()
    inspect = ["docker", "inspect", "-f", "{{.State.StartedAt}}", container_id]
    return subprocess.run(inspect, capture_output=True, text=True, check=True).stdout.strip()


def dev_project_id(https: FrontDoorSession, token: str) -> int:
    projects = https.get("/api/user/projects", headers=bearer(token)).json()
    matching = [project["id_project"] for project in projects if project["project_name"] == DEV_PROJECT_NAME]
    assert matching, f"the register job should have created {DEV_PROJECT_NAME!r}; projects: {projects}"
    return matching[0]


def create_participant(https: FrontDoorSession, token: str, id_project: int) -> dict[str, Any]:
    name = f"sample-test-{uuid.uuid4().hex[:8]}"
    body = {"participant": {"id_participant": 0, "id_project": id_project, "participant_name": name}}
    response = https.post("/api/user/participants", json=body, headers=bearer(token))
    assert response.status_code == 200, response.text
    created = response.json()
    return created[0] if isinstance(created, list) else created


def create_project_member(https: FrontDoorSession, admin_token: str, id_project: int) -> tuple[str, str, int]:
    """A new user whose group has the `user` role in the project (so TeraServer shows it the project), but
    no role for the sample service: (username, password, id_user_group)."""
    suffix = uuid.uuid4().hex[:8]
    group_body = {
        "user_group": {
            "id_user_group": 0,
            "user_group_name": f"sample-test-{suffix}",
            "user_group_projects_access": [{"id_project": id_project, "project_access_role": "user"}],
        }
    }
    group = https.post("/api/user/usergroups", json=group_body, headers=bearer(admin_token))
    assert group.status_code == 200, group.text
    id_user_group = group.json()[0]["id_user_group"]
    username, password = f"member{suffix}", "Sample-Test-9-password!"
    user_body = {
        "user": {
            "id_user": 0,
            "user_username": username,
            "user_password": password,
            "user_firstname": "Project",
            "user_lastname": "Member",
            "user_email": f"{username}@example.org",
            "user_enabled": True,
            "user_user_groups": [{"id_user_group": id_user_group}],
        }
    }
    user = https.post("/api/user/users", json=user_body, headers=bearer(admin_token))
    assert user.status_code == 200, user.text
    return username, password, id_user_group


def grant_global_service_role(https: FrontDoorSession, admin_token: str, id_user_group: int, role_name: str) -> None:
    # As upstream's tools do: the service's global role, granted with POST /api/user/services/access. User tokens
    # minted afterwards carry {"SampleService": [role_name]} in service_access.
    [service] = https.get("/api/user/services", params={"key": SERVICE_KEY}, headers=bearer(admin_token)).json()
    roles = https.get(
        "/api/user/services/roles",
        params={"id_service": service["id_service"], "globals": "true"},
        headers=bearer(admin_token),
    ).json()
    [role] = [role for role in roles if role["service_role_name"] == role_name]
    access = {"id_service_access": 0, "id_user_group": id_user_group, "id_service_role": role["id_service_role"]}
    response = https.post("/api/user/services/access", json={"service_access": access}, headers=bearer(admin_token))
    assert response.status_code == 200, response.text


def post_note(https: FrontDoorSession, token: str, participant_uuid: str, text: str) -> dict[str, Any]:
    body = {"note": {"participant_uuid": participant_uuid, "note_text": text}}
    response = https.post(f"{PREFIX}/api/notes", json=body, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def note_texts(https: FrontDoorSession, token: str, participant_uuid: str) -> list[str]:
    response = https.get(f"{PREFIX}/api/notes", params={"participant_uuid": participant_uuid}, headers=bearer(token))
    assert response.status_code == 200, response.text
    return [note["note_text"] for note in response.json()]


@pytest.fixture
def participant(https: FrontDoorSession, admin_token: str) -> dict[str, Any]:
    return create_participant(https, admin_token, dev_project_id(https, admin_token))


# --- public surface ----------------------------------------------------------------------------------------
def test_version_needs_no_token(https: FrontDoorSession) -> None:
    response = https.get(f"{PREFIX}/api/version")
    assert response.status_code == 200
    body = response.json()
    assert body["service_key"] == SERVICE_KEY
    assert body["opentera_package"] == "1.3.1"
    assert body["version"]


def test_swagger_document_and_ui_work_behind_the_prefix(https: FrontDoorSession) -> None:
    spec = https.get(f"{PREFIX}/api/swagger.json")
    assert spec.status_code == 200
    document = spec.json()
    assert document["basePath"] == f"{PREFIX}/api"
    assert {"/version", "/me", "/notes", "/projects", "/participants"} <= set(document["paths"])

    ui = https.get(f"{PREFIX}/doc")
    assert ui.status_code == 200
    # The UI loads its assets and the spec under the public prefix, or the page would be blank.
    assert f'src="{PREFIX}/swaggerui/swagger-ui-bundle.js"' in ui.text
    assert f"{PREFIX}/api/swagger.json" in ui.text
    assert https.get(f"{PREFIX}/swaggerui/swagger-ui-bundle.js").status_code == 200


def test_frontend_is_served_under_the_prefix(https: FrontDoorSession) -> None:
    redirect = https.get(PREFIX, allow_redirects=False)
    assert redirect.status_code == 301
    assert redirect.headers["Location"].endswith(f"{PREFIX}/")
    page = https.get(f"{PREFIX}/")
    assert page.status_code == 200
    assert 'src="app.js"' in page.text
    script = https.get(f"{PREFIX}/app.js")
    assert script.status_code == 200
    assert "/api/user/login" in script.text


# --- authentication ----------------------------------------------------------------------------------------
def test_me_describes_the_user_behind_the_token(https: FrontDoorSession, admin_token: str) -> None:
    login_answer = https.get("/api/user/login", auth=("admin", "admin")).json()
    response = https.get(f"{PREFIX}/api/me", headers=bearer(login_answer["user_token"]))
    assert response.status_code == 200
    me = response.json()
    assert me["user_uuid"] == login_answer["user_uuid"]
    assert me["user_fullname"] == login_answer["user_fullname"]
    assert me["user_superadmin"] is True
    assert me["service_key"] == SERVICE_KEY
    assert me["service_role"] == "admin"


def test_no_token_is_401(https: FrontDoorSession) -> None:
    for path in ("/api/me", "/api/projects", "/api/notes?participant_uuid=x"):
        assert https.get(f"{PREFIX}{path}").status_code == 401, path


def test_invalid_token_is_403_as_the_package_answers(https: FrontDoorSession) -> None:
    response = https.get(f"{PREFIX}/api/me", headers=bearer("not-a-jwt"))
    assert response.status_code == 403
    assert response.json() == "Forbidden"


def test_project_member_without_a_role_for_the_service_is_403(https: FrontDoorSession, admin_token: str) -> None:
    id_project = dev_project_id(https, admin_token)
    username, password, _ = create_project_member(https, admin_token, id_project)
    token = login(https, username, password)
    # TeraServer shows the project to this user; the service refuses: it has no role for the service.
    projects = https.get("/api/user/projects", headers=bearer(token)).json()
    assert id_project in [project["id_project"] for project in projects]
    for path in ("/api/me", "/api/projects", f"/api/participants?id_project={id_project}"):
        response = https.get(f"{PREFIX}{path}", headers=bearer(token))
        assert response.status_code == 403, path
        assert response.json() == "Forbidden"


def test_service_user_role_may_write_notes_but_delete_only_its_own(
    https: FrontDoorSession, admin_token: str, participant: dict[str, Any]
) -> None:
    username, password, id_user_group = create_project_member(https, admin_token, participant["id_project"])
    grant_global_service_role(https, admin_token, id_user_group, "user")
    token = login(https, username, password)

    me = https.get(f"{PREFIX}/api/me", headers=bearer(token)).json()
    assert (me["user_superadmin"], me["service_roles"], me["service_role"]) == (False, ["user"], "user")

    admins_note = post_note(https, admin_token, participant["participant_uuid"], "written by the admin")
    own_note = post_note(https, token, participant["participant_uuid"], "written by the member")
    assert own_note["note_author_name"] == "Project Member"
    refused = https.delete(f"{PREFIX}/api/notes", params={"id_note": admins_note["id_note"]}, headers=bearer(token))
    assert refused.status_code == 403
    deleted = https.delete(f"{PREFIX}/api/notes", params={"id_note": own_note["id_note"]}, headers=bearer(token))
    assert deleted.status_code == 200
    assert note_texts(https, token, participant["participant_uuid"]) == ["written by the admin"]


# --- the notes feature -------------------------------------------------------------------------------------
def test_projects_and_participants_come_from_teraserver(
    https: FrontDoorSession, admin_token: str, participant: dict[str, Any]
) -> None:
    projects = https.get(f"{PREFIX}/api/projects", headers=bearer(admin_token)).json()
    assert participant["id_project"] in [project["id_project"] for project in projects]
    listed = https.get(
        f"{PREFIX}/api/participants", params={"id_project": participant["id_project"]}, headers=bearer(admin_token)
    ).json()
    assert participant["participant_uuid"] in [entry["participant_uuid"] for entry in listed]


def test_notes_create_list_delete(https: FrontDoorSession, admin_token: str, participant: dict[str, Any]) -> None:
    participant_uuid = participant["participant_uuid"]
    assert note_texts(https, admin_token, participant_uuid) == []
    note = post_note(https, admin_token, participant_uuid, "first visit went well")
    assert note["participant_uuid"] == participant_uuid
    assert note["id_project"] == participant["id_project"]
    assert note["note_author_name"] == "Super Admin"
    assert note_texts(https, admin_token, participant_uuid) == ["first visit went well"]

    deleted = https.delete(f"{PREFIX}/api/notes", params={"id_note": note["id_note"]}, headers=bearer(admin_token))
    assert deleted.status_code == 200
    assert note_texts(https, admin_token, participant_uuid) == []
    again = https.delete(f"{PREFIX}/api/notes", params={"id_note": note["id_note"]}, headers=bearer(admin_token))
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "expected_message"),
    [
        ({}, "body must be"),
        ({"note": {"note_text": "x"}}, "participant_uuid"),
        ({"note": {"participant_uuid": "PARTICIPANT", "note_text": "   "}}, "note_text"),
        ({"note": {"participant_uuid": "PARTICIPANT", "note_text": "x" * 2001}}, "longer than 2000"),
    ],
)
def test_bad_note_is_400_with_the_reason(
    https: FrontDoorSession,
    admin_token: str,
    participant: dict[str, Any],
    body: dict[str, Any],
    expected_message: str,
) -> None:
    payload = json.loads(json.dumps(body).replace("PARTICIPANT", participant["participant_uuid"]))
    response = https.post(f"{PREFIX}/api/notes", json=payload, headers=bearer(admin_token))
    assert response.status_code == 400
    assert expected_message in response.json()["message"]
    assert note_texts(https, admin_token, participant["participant_uuid"]) == []


def test_participant_outside_the_service_scope_is_refused(https: FrontDoorSession, admin_token: str) -> None:
    response = https.get(
        f"{PREFIX}/api/notes", params={"participant_uuid": str(uuid.uuid4())}, headers=bearer(admin_token)
    )
    assert response.status_code in (403, 404)


def test_notes_survive_restarts_of_the_sample_and_of_teraserver(
    devstack: Stack, https: FrontDoorSession, admin_token: str, participant: dict[str, Any], redis_client: redis.Redis
) -> None:
    participant_uuid = participant["participant_uuid"]
    post_note(https, admin_token, participant_uuid, "kept across restarts")

    restart(devstack, "sample")
    assert note_texts(https, admin_token, participant_uuid) == ["kept across restarts"]

    # TeraServer's restart rotates its token keys: old tokens die, and the sample must follow without a restart.
    user_key_before = redis_client.get("UserTokenAPIKey")
    sample_started = container_started_at(devstack, "sample")
    restart(devstack, "teraserver")
    assert redis_client.get("UserTokenAPIKey") != user_key_before
    fresh_token = login(https, "admin", "admin")
    assert note_texts(https, fresh_token, participant_uuid) == ["kept across restarts"]
    assert https.get(f"{PREFIX}/api/me", headers=bearer(fresh_token)).status_code == 200
    assert container_started_at(devstack, "sample") == sample_started, "the sample was restarted"
    # A token of the previous TeraServer is refused by the sample too, not only by TeraServer.
    assert https.get(f"{PREFIX}/api/me", headers=bearer(admin_token)).status_code == 403


# --- Redis mechanisms --------------------------------------------------------------------------------------
RPC_SCRIPT = """
import json, os
from opentera.redis.RedisRPCClient import RedisRPCClient
config = {"hostname": "redis", "port": 6379, "db": 0, "username": "",
          "password": os.environ["OPENTERA_REDIS_PASSWORD"]}
answer = RedisRPCClient(config, timeout=5).call_service(
    "%s", "session_type_config", json.dumps({"id_session_type": 1}))
print("RPC-ANSWER " + json.dumps(answer))
"""


def test_session_type_config_rpc_is_answered(devstack: Stack) -> None:
    # The package's own RPC client (the one TeraServer modules use), run where the package is installed.
    result = devstack.run("exec", "-T", "sample", "python", "-c", RPC_SCRIPT % SERVICE_KEY)
    answer_line = [line for line in result.stdout.splitlines() if line.startswith("RPC-ANSWER ")]
    assert answer_line, result.stdout + result.stderr
    form = json.loads(answer_line[0].removeprefix("RPC-ANSWER "))
    assert form["objecttype"] == "session_type_config"
    assert [item["id"] for item in form["sections"][0]["items"]] == ["notes_enabled", "notes_max_length"]


def test_participant_deletion_event_removes_its_notes(
    devstack: Stack, https: FrontDoorSession, admin_token: str, participant: dict[str, Any]
) -> None:
    participant_uuid = participant["participant_uuid"]
    post_note(https, admin_token, participant_uuid, "to be removed with the participant")
    assert note_texts(https, admin_token, participant_uuid) == ["to be removed with the participant"]
    # Deleting the participant makes TeraServer publish its DatabaseEvent (a soft delete: DB_UPDATE with
    # deleted_at), which the sample service acts on.
    deleted = https.delete(
        "/api/user/participants",
        params={"id": participant["id_participant"]},
        headers={"Authorization": f"OpenTera {admin_token}"},
    )
    assert deleted.status_code == 200, deleted.text
    # The participant is gone from the API now (the notes endpoint answers 404): look in the service's database.
    count_sql = f"SELECT count(*) FROM t_notes WHERE participant_uuid = '{participant_uuid}'"
    deadline = time.monotonic() + 10
    while devstack.psql(count_sql, database="openterasample") != [["0"]] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert devstack.psql(count_sql, database="openterasample") == [["0"]]


# --- bad configuration -------------------------------------------------------------------------------------
def sample_image(stack: Stack) -> str:
    return json.loads(stack.run("config", "--format", "json").stdout)["services"]["sample"]["image"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda config: config["Redis"].pop("hostname"), "field Redis.hostname is missing"),
        (lambda config: config.pop("Database"), "section 'Database' is missing"),
    ],
)
def test_bad_config_stops_the_service_with_the_field_named(
    devstack: Stack, tmp_path: Path, mutate: Any, expected: str
) -> None:
    config = json.loads((SAMPLE_DIR / "config" / f"{SERVICE_KEY}.json").read_text(encoding="utf-8"))
    mutate(config)
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps(config), encoding="utf-8")
    bad.chmod(0o644)
    target = f"/app/config/{SERVICE_KEY}.json"
    # As the generated compose wiring runs it: the config file named by OPENTERA_SERVICE_CONFIG.
    command = ["docker", "run", "--rm", "--network", "none", "-v", f"{bad}:{target}:ro"]
    command += ["-e", f"OPENTERA_SERVICE_CONFIG={target}"]
    result = subprocess.run([*command, sample_image(devstack)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert expected in result.stderr
    assert f"/app/config/{SERVICE_KEY}.json" in result.stderr


def test_without_a_config_named_the_service_stops_and_says_how_to_name_one(devstack: Stack) -> None:
    # The generated compose wiring sets OPENTERA_SERVICE_CONFIG; run by hand without it, the service says so.
    command = ["docker", "run", "--rm", "--network", "none", sample_image(devstack)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "pass --config FILE or set OPENTERA_SERVICE_CONFIG" in result.stderr
