"""/api/service/participants: participants of the projects linked to the calling service."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask_restx import reqparse
from opentera.db.Base import BaseModel
from opentera.db.models.TeraParticipant import TeraParticipant
from sqlalchemy.exc import IntegrityError

from teraserver.api.common import Answer, ClientError, json_dict, require_int, strict_args
from teraserver.api.resources import ServiceResource
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.service_access import service_access

get_parser = reqparse.RequestParser()
get_parser.add_argument("participant_uuid", type=str, location="args", help="UUID of the participant")
get_parser.add_argument("id_participant", type=int, location="args", help="ID of the participant")
get_parser.add_argument("id_project", type=int, location="args", help="Participants of that project")
get_parser.add_argument("id_participant_group", type=int, location="args", help="Participants of that group")
get_parser.add_argument("name", type=str, location="args", help="Participants with that name (minimal)")


def name_filter(query: Any, name: str | None) -> Any:
    """Upstream's name search: a case-sensitive partial match (SQL LIKE '%name%')."""
    return query if not name else query.filter(TeraParticipant.participant_name.like(f"%{name}%"))


REQUIRED_FIELDS = ("id_participant", "id_project", "participant_email", "participant_name")


class ServiceQueryParticipants(ServiceResource):
    @ns.doc(
        description="One participant (object) by uuid or id; a list by project, group or name.",
        responses={200: "Success", 400: "Missing or unknown parameter", 403: "Forbidden"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | dict[str, Any] | list[dict[str, Any]]:
        """Get participants."""
        args = strict_args(get_parser)
        access = service_access()
        single = None
        if args["participant_uuid"]:
            single = TeraParticipant.get_participant_by_uuid(args["participant_uuid"])
        elif args["id_participant"]:
            single = TeraParticipant.get_participant_by_id(args["id_participant"])
        elif args["id_project"]:
            if args["id_project"] not in access.projects_ids:
                raise ClientError("Forbidden", 403)
            query = access.participants_query().filter(TeraParticipant.id_project == args["id_project"])
            return [row.to_json() for row in name_filter(query, args["name"]).all()]
        elif args["id_participant_group"]:
            if args["id_participant_group"] not in access.participant_groups_ids:
                raise ClientError("Forbidden", 403)
            query = access.participants_query()
            query = query.filter(TeraParticipant.id_participant_group == args["id_participant_group"])
            return [row.to_json() for row in name_filter(query, args["name"]).all()]
        elif args["name"]:
            return [row.to_json(minimal=True) for row in name_filter(access.participants_query(), args["name"]).all()]
        else:
            raise ClientError("Missing arguments")
        if single is None or single.id_participant not in access.participants_ids:
            raise ClientError("Forbidden", 403)
        return single.to_json()

    @ns.expect(bodies.PARTICIPANT)
    @ns.doc(
        description="Create (id_participant 0) or update a participant of an accessible project.",
        responses={200: "Success", 400: "Bad body", 403: "Project or participant not accessible"},
    )
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a participant."""
        values = json_dict("participant")
        missing = [name for name in REQUIRED_FIELDS if name not in values]
        if missing:
            raise ClientError(f"Missing fields: {', '.join(missing)}")
        id_participant = require_int(values, "id_participant")
        access = service_access()
        # Upstream does not check the project on create; we do (a service only works in its own projects).
        if require_int(values, "id_project") not in access.projects_ids:
            raise ClientError("Forbidden", 403)
        if not values["participant_name"]:
            raise ClientError("Invalid participant name", 403)
        if not values["participant_email"]:
            raise ClientError("Invalid participant email", 403)
        if id_participant == 0:
            # As upstream: only these four fields are taken (others are ignored), with upstream's defaults.
            participant = TeraParticipant()
            participant.participant_uuid = str(uuid.uuid4())
            participant.participant_name = values["participant_name"]
            participant.participant_email = values["participant_email"]
            participant.id_project = values["id_project"]
            participant.participant_enabled = True
            participant.participant_login_enabled = True
            participant.participant_lastonline = datetime.now().astimezone()
            with disabled_project_refusal("Can't insert participant: participant's project is disabled or invalid."):
                TeraParticipant.insert(participant)
        else:
            if id_participant not in access.participants_ids:
                raise ClientError("Forbidden", 403)
            with disabled_project_refusal("Can't update participant: participant's project is disabled."):
                TeraParticipant.update(id_participant, values)
            participant = TeraParticipant.get_participant_by_id(id_participant)
        return participant.to_json(minimal=False)


@contextlib.contextmanager
def disabled_project_refusal(message: str) -> Iterator[None]:
    """Upstream's 400 when the database refuses a participant because of its project (disabled): `message`
    instead of the generic refusal (never the database's text)."""
    try:
        yield
    except IntegrityError as error:
        if "t_projects" not in str(error.orig):
            raise
        BaseModel.db().session.rollback()
        raise ClientError(message) from error
