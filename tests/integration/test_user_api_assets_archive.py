"""/api/user/assets/archive (upstream's flow: teraserver/api/user/assets_archive.py).

Runs on `api_stack`. The default FileTransferService row points at 127.0.0.1:4042 in TeraServer's container,
where nothing listens at first (501); then a stand-in (stdlib HTTP server started with `docker compose exec -d`
in that container, stopped by its pid) plays both the FileTransferService and the service owning the assets,
and records what it is sent.
"""

from __future__ import annotations

import base64
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import default as default_policy
from io import BytesIO
from pathlib import Path
from typing import Any

import jwt
import pytest
from service_world import (
    Row,
    new_participant,
    new_project,
    new_service,
    new_session,
    new_session_type,
    new_site,
)
from test_user_api_service_access import Account, add_server_roles, checked, make_account
from user_world import new_asset

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

PATH = "/api/user/assets/archive"
# Where the stand-in keeps its files (a Python expression evaluated in the container: its temporary directory).
FAKE_DIR = "os.path.join(tempfile.gettempdir(), 'fake-file-transfer')"
FAKE_SERVER = f"""
import http.server, json, os, tempfile
from urllib.parse import parse_qs, urlparse
FAKE_DIR = {FAKE_DIR}
os.makedirs(FAKE_DIR, exist_ok=True)
with open(FAKE_DIR + '/pid', 'w') as f:
    f.write(str(os.getpid()))
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def record(self, body):
        entry = {{'method': self.command, 'path': self.path, 'auth': self.headers.get('Authorization'),
                 'type': self.headers.get('Content-Type'), 'body': body}}
        with open(FAKE_DIR + '/requests.log', 'a') as f:
            f.write(json.dumps(entry) + '\\n')
    def reply(self, data, kind='application/json'):
        self.send_response(200)
        self.send_header('Content-Type', kind)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        if self.path == '/api/archives':
            self.record(None)
            with open(FAKE_DIR + '/upload.bin', 'wb') as f:
                f.write(body)
            return self.reply(b'{{}}')
        self.record(body.decode())
        info = json.loads(body)['archive']
        info.update({{'id_archive_file_data': 77, 'archive_uuid': 'fake-archive'}})
        self.reply(json.dumps(info).encode())
    def do_GET(self):
        self.record(None)
        asset = parse_qs(urlparse(self.path).query).get('asset_uuid', ['?'])[0]
        self.reply(('content of ' + asset).encode(), 'application/octet-stream')
http.server.ThreadingHTTPServer(('127.0.0.1', 4042), Handler).serve_forever()
"""


@dataclass(frozen=True)
class ArchiveWorld:
    site: Row
    project: Row
    participant: Row
    session: Row
    other_participant: Row  # in another site
    asset_service: Row
    assets: tuple[Row, Row]  # same name, same session
    hidden_asset: Row  # owned by a disabled service
    project_user: Account
    outsider: Account


@pytest.fixture(scope="module")
def archive_world(api_stack: Stack, api_stack_ca: Path) -> ArchiveWorld:
    site = new_site(api_stack)
    project = new_project(api_stack, site.id)
    add_server_roles(api_stack, id_project=project.id)
    participant = new_participant(api_stack, project.id)
    other = new_participant(api_stack, new_project(api_stack, new_site(api_stack).id).id)
    session = new_session(api_stack, new_session_type(api_stack, None).id, participant.id)
    service = new_service(api_stack, hostname="127.0.0.1", port=4042)
    disabled = new_service(api_stack, enabled=False)
    assets = tuple(new_asset(api_stack, session.id, service.uuid, participant.id) for _ in range(2))
    api_stack.psql(f"UPDATE t_assets SET asset_name = 'notes.txt' WHERE id_asset IN ({assets[0].id}, {assets[1].id})")
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        return ArchiveWorld(
            site=site,
            project=project,
            participant=participant,
            session=session,
            other_participant=other,
            asset_service=service,
            assets=assets,  # type: ignore[arg-type]
            hidden_asset=new_asset(api_stack, session.id, disabled.uuid, participant.id),
            project_user=make_account(front, admin, project_roles={project.id: "user"}),
            outsider=make_account(front, admin),
        )


def in_teraserver(stack: Stack, code: str) -> str:
    return stack.run("exec", "-T", "teraserver", "python", "-c", code).stdout


@pytest.fixture
def file_transfer(api_stack: Stack) -> Iterator[None]:
    """The stand-in listening on 127.0.0.1:4042 in TeraServer's container, stopped (by its pid) afterwards."""
    api_stack.run("exec", "-d", "teraserver", "python", "-c", FAKE_SERVER)
    probe = "import socket; socket.create_connection(('127.0.0.1', 4042), 1).close()"
    deadline = time.monotonic() + 15
    while api_stack.run("exec", "-T", "teraserver", "python", "-c", probe, check=False).returncode != 0:
        assert time.monotonic() < deadline, "the stand-in did not start"
        time.sleep(0.3)
    yield
    pid = in_teraserver(api_stack, f"import os, tempfile; print(open({FAKE_DIR} + '/pid').read())").strip()
    api_stack.run("exec", "-T", "teraserver", "kill", pid, check=False)
    in_teraserver(api_stack, f"import os, shutil, tempfile; shutil.rmtree({FAKE_DIR}, ignore_errors=True)")


def fake_file(stack: Stack, name: str) -> bytes | None:
    code = (
        "import base64, os, sys, tempfile\n"
        f"p = os.path.join({FAKE_DIR}, '{name}')\n"
        "sys.stdout.write(base64.b64encode(open(p, 'rb').read()).decode() if os.path.exists(p) else '-')"
    )
    out = in_teraserver(stack, code)
    return None if out == "-" else base64.b64decode(out)


def test_refusals(front: FrontDoorSession, archive_world: ArchiveWorld) -> None:
    w = archive_world
    headers = w.project_user.headers
    assert front.get(PATH).status_code == 401
    for params in ({}, {"id_project": w.project.id, "id_session": w.session.id}):
        response = front.get(PATH, params=params, headers=headers)
        assert (response.status_code, response.json()) == (400, "Only one of the ID parameter is supported at once")
    assert front.get(PATH, params={"id_participant": w.other_participant.id}, headers=headers).status_code == 403
    for params in ({"id_project": w.project.id}, {"id_participant": w.participant.id}, {"id_session": w.session.id}):
        response = front.get(PATH, params=params, headers=w.outsider.headers)
        assert (response.status_code, response.json()) == (403, "Forbidden"), params


def test_file_transfer_service_not_answering_is_501(front: FrontDoorSession, archive_world: ArchiveWorld) -> None:
    w = archive_world
    response = front.get(PATH, params={"id_session": w.session.id}, headers=w.project_user.headers)
    assert response.status_code == 501
    assert response.json() == "Unable to create archive information from FileTransferService"


def test_no_file_transfer_service_is_500(
    front: FrontDoorSession, api_stack: Stack, archive_world: ArchiveWorld
) -> None:
    rename = "UPDATE t_services SET service_key = '{}' WHERE service_key = '{}'"
    api_stack.psql(rename.format("FileTransferService-away", "FileTransferService"))
    try:
        params = {"id_session": archive_world.session.id}
        response = front.get(PATH, params=params, headers=archive_world.project_user.headers)
        assert response.status_code == 500 and "FileTransferService" in response.json()
    finally:
        api_stack.psql(rename.format("FileTransferService", "FileTransferService-away"))


def test_archive_is_built_and_uploaded(
    front: FrontDoorSession, api_stack: Stack, archive_world: ArchiveWorld, file_transfer: None
) -> None:
    w = archive_world
    redis_client = api_stack.redis(decode_responses=False)
    key = redis_client.get("ServiceTokenAPIKey").decode()
    answer = checked(front.get(PATH, params={"id_participant": w.participant.id}, headers=w.project_user.headers))
    assert answer["id_archive_file_data"] == 77 and answer["archive_owner_uuid"] == w.project_user.uuid
    assert answer["archive_original_filename"].endswith("_archive.zip")
    jobs = redis_client.keys(f"worker.id.user.{w.project_user.uuid}.*")
    assert len(jobs) == 1 and 0 < redis_client.ttl(jobs[0]) <= 60
    job = json.loads(redis_client.get(jobs[0]))
    assert set(job["assets_map"]) == {w.asset_service.name}  # the disabled service's asset is left out
    redis_client.close()

    deadline = time.monotonic() + 30
    while (upload := fake_file(api_stack, "upload.bin")) is None:
        assert time.monotonic() < deadline, "no archive uploaded"
        time.sleep(0.5)
    requests_seen = [json.loads(line) for line in fake_file(api_stack, "requests.log").decode().splitlines()]
    infos = [r for r in requests_seen if r["path"] == "/api/archives/infos"]
    assert len(infos) == 2 and json.loads(infos[1]["body"])["archive"]["archive_status"] == 1
    transfer_claims = jwt.decode(infos[0]["auth"].split()[1], key, algorithms=["HS256"])
    transfer_uuid = api_stack.psql("SELECT service_uuid FROM t_services WHERE service_key = 'FileTransferService'")
    assert transfer_claims["service_uuid"] == transfer_uuid[0][0]
    fetches = [r for r in requests_seen if r["method"] == "GET"]
    assert len(fetches) == 2 and all(r["path"].startswith("/api/assets?") for r in fetches)

    [upload_request] = [r for r in requests_seen if r["path"] == "/api/archives"]
    message = BytesParser(policy=default_policy).parsebytes(
        b"Content-Type: " + upload_request["type"].encode() + b"\r\n\r\n" + upload
    )
    parts: dict[str, Any] = {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.iter_parts()
    }
    assert json.loads(parts["archive"])["archive_uuid"] == "fake-archive"
    with zipfile.ZipFile(BytesIO(parts["file"])) as archive:
        names = sorted(archive.namelist())
        folder = f"{w.site.name}/{w.project.name}/{w.participant.name}/{w.session.id}_{w.session.name}"
        assert names == [f"{folder}/notes(2).txt", f"{folder}/notes.txt"]
        contents = {archive.read(name).decode() for name in names}
        assert contents == {f"content of {asset.uuid}" for asset in w.assets}
