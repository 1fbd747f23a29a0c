"""/api/user/assets/archive: a zip of the assets of a project, participant or session, built in the background
and stored by the FileTransferService (upstream's UserQueryAssetsArchive and its archive worker, in our words).

* GET with exactly one of id_project, id_participant, id_session (400 "Only one of the ID parameter is
  supported at once" otherwise); the project or participant must be accessible, the session among the user's
  accessible sessions (403 "Forbidden").
* The assets: for a project, those of every session of each of its visible participants; for a participant,
  those of its sessions; for a session, its own (once per participant when it has several). Each asset is put
  under a path "<site>/<project>/<participant>/<id_session>_<session name>" (just "/<id_session>_<name>" for a
  session without participant), grouped by the enabled, non-OpenTeraServer service that owns it (assets of other
  services are left out).
* The FileTransferService (service key "FileTransferService") is asked over HTTP, at its service_hostname and
  service_port, with its own service token: POST /api/archives/infos {"archive": {id_archive_file_data: 0,
  archive_original_filename: "<now>_archive.zip", archive_owner_uuid: <user uuid>}}. Not 200: 501 "Unable to
  create archive information from FileTransferService" (also when it cannot be reached: upstream fails with a
  500 then). No such service registered: 500 (upstream fails there too), with a message naming it.
* The job (id "worker.id.user.<user uuid>.<now>") is kept 60 s in Redis under its id, as upstream, and a
  background thread of this process does the worker's part: post the archive info back with archive_status 1
  (in progress), fetch each asset from its service (GET http://<host>:<port>/api/assets with asset_uuid and an
  asset access token signed with the service token key for the owner service, the service's token as
  authorization), zip them (same-name files get " (n)"-style suffixes: "name(2).ext"), then POST the zip to
  /api/archives (multipart "file", form field "archive" = the archive info JSON).
* The answer is the FileTransferService's JSON reply to the info request.
"""

from __future__ import annotations

import datetime
import json
import logging
import pathlib
import tempfile
import threading
import zipfile
from typing import Any

import requests
from flask import g
from flask_restx import reqparse
from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSession import TeraSession
from opentera.redis.RedisVars import RedisVars

from teraserver import context
from teraserver.api.common import ClientError, external_server_and_port, forbidden
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

log = logging.getLogger("teraserver.assets_archive")

FILE_TRANSFER_KEY = "FileTransferService"
SERVER_KEY = "OpenTeraServer"
JOB_TTL = 60  # seconds the job description stays in Redis, as upstream
INFO_TIMEOUT = 30
ASSET_TIMEOUT = 300
STATUS_IN_PROGRESS = 1

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_participant", type=int, location="args", help="Assets of that participant")
get_parser.add_argument("id_project", type=int, location="args", help="Assets of that project")
get_parser.add_argument("id_session", type=int, location="args", help="Assets of that session")


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class AssetCollector:
    """Assets grouped by owner service key, each with its path in the archive."""

    def __init__(self, token_key: str) -> None:
        self.by_service: dict[str, dict[str, Any]] = {}
        for service in TeraService.query_with_filters({"service_enabled": True}):
            if service.service_key == SERVER_KEY:
                continue
            self.by_service[service.service_key] = {
                "service_uuid": service.service_uuid,
                "service_assets": [],
                "service_hostname": service.service_hostname,
                "service_port": service.service_port,
                "service_endpoint": service.service_clientendpoint,
                "service_token": service.get_token(token_key),
            }

    def add_session(self, session: TeraSession, path: str = "") -> None:
        for asset in TeraAsset.get_assets_for_session(session.id_session):
            owner = TeraService.get_service_by_uuid(asset.asset_service_uuid)
            if owner is None or owner.service_key not in self.by_service:
                continue
            item = asset.to_json(minimal=False)
            item["path"] = f"{path}/{session.id_session}_{session.session_name}"
            self.by_service[owner.service_key]["service_assets"].append(item)

    def add_participant(self, participant: TeraParticipant, path: str) -> None:
        for session in TeraSession.get_sessions_for_participant(participant.id_participant):
            self.add_session(session, f"{path}/{participant.participant_name}")

    def non_empty(self) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.by_service.items() if value["service_assets"]}


def collect(access: UserAccess, args: dict[str, Any], collector: AssetCollector) -> None:
    if args["id_project"] is not None:
        if args["id_project"] not in access.accessible_projects_ids():
            raise forbidden()
        project = TeraProject.get_project_by_id(args["id_project"])
        participants = (
            TeraParticipant.query.filter(TeraParticipant.id_project == project.id_project)
            .filter(TeraParticipant.id_participant.in_(access.accessible_participants_ids()))
            .order_by(TeraParticipant.participant_name.asc())
            .all()
        )
        for participant in participants:
            collector.add_participant(participant, f"{project.project_site.site_name}/{project.project_name}")
    elif args["id_participant"] is not None:
        if args["id_participant"] not in access.accessible_participants_ids():
            raise forbidden()
        participant = TeraParticipant.get_participant_by_id(args["id_participant"])
        project = participant.participant_project
        collector.add_participant(participant, f"{project.project_site.site_name}/{project.project_name}")
    else:
        if args["id_session"] not in access.accessible_sessions_ids():
            raise forbidden()
        session = TeraSession.get_session_by_id(args["id_session"])
        if not session.session_participants:
            collector.add_session(session)
        for participant in session.session_participants:
            project = participant.participant_project
            site_name = project.project_site.site_name
            collector.add_session(session, f"{site_name}/{project.project_name}/{participant.participant_name}")


def zip_name(path: str, name: str, used: dict[pathlib.Path, int]) -> str:
    """Archive member name; the n-th file of a name already used becomes "stem(n).ext"."""
    member = pathlib.Path(path) / name
    if member not in used:
        used[member] = 1
        return str(member)
    used[member] += 1
    extension = "." + name.split(".")[-1]
    return str(pathlib.Path(path) / f"{name.removesuffix(extension)}({used[member]}){extension}")


def run_job(job: dict[str, Any]) -> None:
    """The archive worker: mark the archive in progress, fetch the assets, zip them, upload the zip."""
    headers = {"Authorization": "OpenTera " + job["service_token"]}
    archive_info = dict(job["archive_info"]) if isinstance(job["archive_info"], dict) else {}
    archive_info["archive_status"] = STATUS_IN_PROGRESS
    try:
        requests.post(
            job["archive_file_infos_url"], json={"archive": archive_info}, headers=headers, timeout=INFO_TIMEOUT
        )
        with tempfile.TemporaryFile() as buffer:
            with zipfile.ZipFile(buffer, "w") as archive:
                used: dict[pathlib.Path, int] = {}
                for service in job["assets_map"].values():
                    for asset in service["service_assets"]:
                        token = TeraAsset.get_access_token(
                            [asset["asset_uuid"]], job["service_key"], asset["asset_service_uuid"]
                        )
                        reply = requests.get(
                            f"http://{service['service_hostname']}:{service['service_port']}/api/assets",
                            params={"access_token": token, "asset_uuid": asset["asset_uuid"]},
                            headers={"Authorization": "OpenTera " + service["service_token"]},
                            timeout=ASSET_TIMEOUT,
                        )
                        if reply.status_code == 200:
                            archive.writestr(zip_name(asset.get("path", ""), asset["asset_name"], used), reply.content)
            buffer.seek(0)
            reply = requests.post(
                job["archive_file_upload_url"],
                files={"file": (archive_info.get("archive_original_filename", "archive.zip"), buffer)},
                data={"archive": json.dumps(archive_info)},
                headers=headers,
                timeout=INFO_TIMEOUT,
            )
        log.info("archive job finished", extra={"job_id": job["job_id"], "upload_status": reply.status_code})
    except (requests.RequestException, OSError, KeyError):
        log.exception("archive job failed", extra={"job_id": job["job_id"]})


class UserQueryAssetsArchive(UserResource):
    @ns.doc(
        description="Start building a zip of the assets of a project, participant or session (exactly one id); "
        "the FileTransferService stores it.",
        responses={
            200: "Success - the FileTransferService's archive information",
            400: "Not exactly one id",
            403: "Forbidden",
            500: "No FileTransferService",
            501: "The FileTransferService refused",
        },
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get an asset archive."""
        args = get_parser.parse_args(strict=True)
        if sum(args[name] is not None for name in ("id_project", "id_participant", "id_session")) != 1:
            raise ClientError("Only one of the ID parameter is supported at once")
        user = g.current_user
        access = UserAccess(user)
        client = context.redis_client()
        token_key = _text(client.get(RedisVars.RedisVar_ServiceTokenAPIKey))
        collector = AssetCollector(token_key)
        collect(access, args, collector)

        now = datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        job_id = f"worker.id.user.{user.user_uuid}.{now}"
        transfer = TeraService.get_service_by_key(FILE_TRANSFER_KEY)
        if transfer is None:
            raise ClientError("No FileTransferService registered: cannot build an archive", 500)
        transfer_token = transfer.get_token(token_key)
        base = f"http://{transfer.service_hostname}:{transfer.service_port}/api/archives"
        info = {
            "archive": {
                "id_archive_file_data": 0,
                "archive_original_filename": f"{now}_archive.zip",
                "archive_owner_uuid": user.user_uuid,
            }
        }
        try:
            reply = requests.post(
                base + "/infos",
                json=info,
                headers={"Authorization": "OpenTera " + transfer_token},
                timeout=INFO_TIMEOUT,
            )
            archive_info = reply.json() if reply.status_code == 200 else None
        except (requests.RequestException, ValueError):
            log.warning("FileTransferService did not answer the archive request", exc_info=True)
            archive_info = None
        if archive_info is None:
            raise ClientError("Unable to create archive information from FileTransferService", 501)
        server, port = external_server_and_port()
        job = {
            "job_id": job_id,
            "server_name": server,
            "port": port,
            "service_key": token_key,
            "archive_file_infos_url": base + "/infos",
            "archive_file_upload_url": base,
            "service_token": transfer_token,
            "assets_map": collector.non_empty(),
            "archive_info": archive_info,
        }
        client.set(job_id, json.dumps(job), ex=JOB_TTL)
        threading.Thread(target=run_job, args=(job,), name=f"archive {job_id}", daemon=True).start()
        return archive_info
