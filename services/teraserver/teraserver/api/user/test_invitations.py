"""/api/user/tests/invitations: invitations to take a test (upstream's UserQueryTestsInvitations rules).

In our words:

* Accessible invitations (teraserver.api.user.access_extras): of an accessible test type and project, and
  inviting an accessible user, participant or device or bound to an accessible session.
* GET without filters lists them all; with filters, each filter given adds its own matches among them, in this
  order: id_test_invitation, test_invitation_key, id_user (or user_uuid), id_participant (or participant_uuid),
  id_device (or device_uuid), id_session (or session_uuid), id_test_type (or test_type_uuid), id_project; an
  invitation matching two filters is listed twice, an unknown uuid matches nothing. Unknown parameters: 400.
  `full` and `with_urls` are read as Python truth values (any non-empty value, even "false", is true).
  Items are the minimal form unless `full`; `with_urls` adds test_invitation_url (the test type's web URL then
  `?invitation_key=<key>`) when the type has a web URL.
* POST {"tests_invitations": [...]}: the body must match the model's JSON schema (known fields with their types,
  id_test_invitation required, a non-empty list): otherwise flask-restx's 400 "Input payload validation failed"
  with the errors. Every item is checked before any write. New (id_test_invitation 0): each given id_user,
  id_participant, id_device, id_project, id_session, id_test_type must be accessible (403 "Forbidden"), then
  id_test_type, id_project and test_invitation_expiration_date are required and test_invitation_key refused
  (400), and exactly one of id_user / id_participant / id_device (400). Existing: must be accessible (403) and
  the item must carry test_invitation_count, _max_count or _expiration_date (400); only those are changed.
  Answers the saved invitations in full form with their URLs. (Upstream skips an item the database refuses; we
  answer 400 naming the problem.)
* DELETE ?id=: an accessible invitation (403 "Forbidden").
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_restx import reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraTestInvitation import TeraTestInvitation
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraUser import TeraUser

from teraserver.api.common import ClientError, database_write, external_server_and_port, forbidden
from teraserver.api.resources import UserResource
from teraserver.api.user.access_extras import (
    accessible_invitations_ids,
    accessible_invitations_query,
    accessible_test_types_ids,
)
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

UPDATABLE = ("test_invitation_count", "test_invitation_max_count", "test_invitation_expiration_date")
# uuid filter -> (id filter it stands for, lookup)
BY_UUID = {
    "user_uuid": ("id_user", TeraUser.get_user_by_uuid),
    "participant_uuid": ("id_participant", TeraParticipant.get_participant_by_uuid),
    "device_uuid": ("id_device", TeraDevice.get_device_by_uuid),
    "session_uuid": ("id_session", TeraSession.get_session_by_uuid),
    "test_type_uuid": ("id_test_type", TeraTestType.get_test_type_by_uuid),
}
FILTER_ORDER = (
    "id_test_invitation",
    "test_invitation_key",
    "id_user",
    "id_participant",
    "id_device",
    "id_session",
    "id_test_type",
    "id_project",
)

get_parser = reqparse.RequestParser()
for _name in FILTER_ORDER:
    get_parser.add_argument(
        _name, type=str if _name == "test_invitation_key" else int, location="args", help=f"Filter on {_name}"
    )
for _name in BY_UUID:
    get_parser.add_argument(_name, type=str, location="args", help=f"Filter on {_name}")
get_parser.add_argument("full", type=bool, location="args", default=False, help="Nested names of related rows")
get_parser.add_argument("with_urls", type=bool, location="args", default=False, help="Add test_invitation_url")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the invitation to delete")

_item_schema = TeraTestInvitation.get_json_schema()[TeraTestInvitation.get_model_name()]
post_schema = ns.schema_model(
    "user_tests_invitations",
    {
        "type": "object",
        "properties": {
            "tests_invitations": {"type": "array", "items": _item_schema, "minItems": 1, "uniqueItems": True}
        },
        "required": ["tests_invitations"],
        "additionalProperties": False,
    },
)


def with_urls(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    server, port = external_server_and_port()
    for item in items:
        test_type = TeraTestType.get_test_type_by_id(item["id_test_type"])
        if test_type is None:
            continue
        web_url = test_type.get_service_urls(server, port)["test_type_web_url"]
        if web_url is not None:
            item["test_invitation_url"] = f"{web_url}?invitation_key={item['test_invitation_key']}"
    return items


def check_new(access: UserAccess, item: dict[str, Any]) -> None:
    allowed = (
        ("id_user", access.accessible_users_ids),
        ("id_participant", access.accessible_participants_ids),
        ("id_device", access.accessible_devices_ids),
        ("id_project", access.accessible_projects_ids),
        ("id_session", lambda: access.accessible_sessions_ids()),
        ("id_test_type", lambda: accessible_test_types_ids(access)),
    )
    for field, ids in allowed:
        if field in item and item[field] not in ids():
            raise forbidden()
    for field in ("id_test_type", "id_project", "test_invitation_expiration_date"):
        if field not in item:
            raise ClientError(f"Missing {field}")
    if "test_invitation_key" in item:
        raise ClientError("Do not set test_invitation_key")
    if len([field for field in item if field in ("id_user", "id_participant", "id_device")]) != 1:
        raise ClientError("You must specify one of id_user, id_participant or id_device")


class UserQueryTestsInvitations(UserResource):
    @ns.doc(
        description="Accessible test invitations, all or those matching any of the filters.",
        responses={200: "Success - a list", 400: "Unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get test invitations."""
        args = get_parser.parse_args(strict=True)
        accessible = accessible_invitations_query(UserAccess(g.current_user)).order_by(
            TeraTestInvitation.id_test_invitation
        )
        minimal = not args["full"]
        filters = {name: args[name] for name in FILTER_ORDER}
        for name, (column, finder) in BY_UUID.items():
            if args[name] is not None:
                row = finder(args[name])
                if row is not None:
                    filters[column] = getattr(row, column)
        if all(args[name] is None for name in (*FILTER_ORDER, *BY_UUID)):
            invitations = accessible.all()
        else:
            invitations = []
            for name in FILTER_ORDER:
                if filters[name] is not None:
                    invitations += accessible.filter(getattr(TeraTestInvitation, name) == filters[name]).all()
        items = [invitation.to_json(minimal=minimal) for invitation in invitations]
        return with_urls(items) if args["with_urls"] else items

    @ns.expect(post_schema)
    @ns.doc(
        description="Create (id_test_invitation 0) or update (count, max count, expiration date) invitations: "
        '{"tests_invitations": [...]}',
        responses={200: "Success - the invitations, with URLs", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / update test invitations."""
        body = request.get_json(silent=True)
        post_schema.validate(body)  # 400 "Input payload validation failed" with the errors, as upstream
        access = UserAccess(g.current_user)
        items = [dict(item) for item in body["tests_invitations"]]
        accessible: set[int] | None = None
        for item in items:
            if item["id_test_invitation"] == 0:
                check_new(access, item)
                continue
            if accessible is None:
                accessible = accessible_invitations_ids(access)
            if item["id_test_invitation"] not in accessible:
                raise forbidden()
            if not any(field in item for field in UPDATABLE):
                raise ClientError("You can only update test_invitation_count")
        saved = []
        for item in items:
            if item["id_test_invitation"] == 0:
                with database_write(
                    "test invitation",
                    message="Cannot save test invitation: invalid test_invitation_expiration_date or values",
                ):
                    invitation = TeraTestInvitation()
                    invitation.from_json(item)
                    TeraTestInvitation.insert(invitation)
            else:
                values = {field: item[field] for field in UPDATABLE if field in item}
                with database_write(
                    "test invitation", message="Cannot update test invitation: invalid count or expiration date"
                ):
                    TeraTestInvitation.update(item["id_test_invitation"], values)
                invitation = TeraTestInvitation.get_test_invitation_by_id(item["id_test_invitation"])
            saved.append(invitation.to_json(minimal=False))
        return with_urls(saved)

    @ns.doc(description="Delete an accessible invitation.", responses={200: "Success", 403: "Forbidden"})
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a test invitation."""
        args = delete_parser.parse_args(strict=True)
        if args["id"] not in accessible_invitations_ids(UserAccess(g.current_user)):
            raise forbidden()
        with database_write("test invitation", message="Cannot delete that test invitation"):
            TeraTestInvitation.delete(id_todel=args["id"])
        return "", 200
