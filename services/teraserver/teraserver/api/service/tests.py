"""/api/service/tests (test results in sessions) and /api/service/tests/invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraTest import TeraTest
from opentera.db.models.TeraTestInvitation import TeraTestInvitation
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraUser import TeraUser
from opentera.redis.RedisVars import RedisVars

from teraserver import context
from teraserver.api.asset_links import ACCESS_TOKEN_LIFETIME
from teraserver.api.common import (
    Answer,
    ClientError,
    external_server_and_port,
    forbidden,
    json_dict,
    json_objects,
    require_int,
    strict_args,
)
from teraserver.api.resources import ServiceResource
from teraserver.api.service import bodies
from teraserver.api.service.assets import owner_ids
from teraserver.api.service.namespace import ns
from teraserver.service_access import ServiceAccess, service_access
from teraserver.service_auth import current_service

get_parser = reqparse.RequestParser()
for _name in ("id_device", "id_session", "id_participant", "id_user", "id_test"):
    get_parser.add_argument(_name, type=int, location="args", help=f"Tests selected by {_name}")
get_parser.add_argument("service_uuid", type=str, location="args", help="Tests of that service (their id_service)")
get_parser.add_argument("with_urls", type=inputs.boolean, location="args", help="Add access token and URLs")
get_parser.add_argument("with_only_token", type=inputs.boolean, location="args", help="Only uuids and tokens")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("uuid", type=str, location="args", required=True, help="UUID of the test to delete")

INVITATION_FILTERS_BY_ID = (
    "id_test_invitation",
    "id_user",
    "id_participant",
    "id_device",
    "id_session",
    "id_test_type",
    "id_project",
)
# uuid argument -> (id column it stands for, lookup)
INVITATION_FILTERS_BY_UUID = {
    "user_uuid": ("id_user", TeraUser.get_user_by_uuid),
    "participant_uuid": ("id_participant", TeraParticipant.get_participant_by_uuid),
    "device_uuid": ("id_device", TeraDevice.get_device_by_uuid),
    "session_uuid": ("id_session", TeraSession.get_session_by_uuid),
    "test_type_uuid": ("id_test_type", TeraTestType.get_test_type_by_uuid),
}
# Upstream's order when several filters are given (see the GET handler).
INVITATION_FILTER_ORDER = (
    "id_test_invitation",
    "test_invitation_key",
    "id_user",
    "id_participant",
    "id_device",
    "id_session",
    "id_test_type",
    "id_project",
)
invitations_get_parser = reqparse.RequestParser()
for _name in INVITATION_FILTERS_BY_ID:
    invitations_get_parser.add_argument(_name, type=int, location="args", help=f"Invitations with that {_name}")
for _name in INVITATION_FILTERS_BY_UUID:
    invitations_get_parser.add_argument(_name, type=str, location="args", help=f"Invitations with that {_name}")
invitations_get_parser.add_argument("test_invitation_key", type=str, location="args", help="Invitation key")
# Upstream parses these two with Python's bool: any non-empty value, even "false", means true.
invitations_get_parser.add_argument("full", type=bool, location="args", help="Add nested information")
invitations_get_parser.add_argument("with_urls", type=bool, location="args", help="Add test_invitation_url")

invitations_delete_parser = reqparse.RequestParser()
invitations_delete_parser.add_argument("id", type=int, location="args", required=True, help="Invitation ID")

INVITATION_UPDATABLE = ("test_invitation_count", "test_invitation_max_count", "test_invitation_expiration_date")


def select_tests(access: ServiceAccess, args: dict[str, Any]) -> list[TeraTest]:
    """Upstream's order of selectors (as upstream, 0 and "" count as absent). A device, participant or user that
    is accessible shows all its tests."""
    if not any(args.values()):
        raise ClientError("No arguments specified")
    if args["id_device"]:
        _require(args["id_device"] in access.devices_ids, "Device")
        return TeraTest.get_tests_for_device(args["id_device"])
    if args["id_session"]:
        _require(args["id_session"] in access.sessions_ids, "Session")
        return TeraTest.get_tests_for_session(args["id_session"])
    if args["id_participant"]:
        _require(args["id_participant"] in access.participants_ids, "Participant")
        return TeraTest.get_tests_for_participant(args["id_participant"])
    if args["id_user"]:
        _require(args["id_user"] in access.users_ids, "User")
        return TeraTest.get_tests_for_user(args["id_user"])
    if args["id_test"]:
        # As upstream: the test if its session is one the service manages, else an empty list.
        test = TeraTest.get_test_by_id(args["id_test"])
        return [test] if test is not None and access.managed_session(test.id_session) is not None else []
    if args["service_uuid"]:
        # Upstream lists every test of that service, in any session (and answers 500 for an unknown uuid); we keep
        # those of sessions the caller can read, as for assets: the others are other projects' data.
        service = TeraService.get_service_by_uuid(args["service_uuid"])
        if service is None:
            return []
        tests = TeraTest.get_tests_for_service(service.id_service)
        return [test for test in tests if test.id_session in access.sessions_ids]
    raise ClientError("Missing argument")  # only flags (with_urls, with_only_token) were given


def set_test_defaults(values: dict[str, Any], test_type: TeraTestType) -> None:
    """Upstream's defaults for a new test: now, and "<type key, else name> #<tests of that type in the
    session + 1>"."""
    values.setdefault("test_datetime", datetime.now().astimezone().isoformat())
    if "test_name" not in values:
        count = TeraTest.get_count(filters={"id_session": values["id_session"], "id_test_type": test_type.id_test_type})
        values["test_name"] = f"{test_type.test_type_key or test_type.test_type_name} #{count + 1}"


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise ClientError(f"{what} access denied", 403)


def tests_json(tests: list[TeraTest], args: dict[str, Any]) -> list[dict[str, Any]]:
    key = context.redis_client().get(RedisVars.RedisVar_ServiceTokenAPIKey)
    requester = current_service().service_uuid
    server, port = external_server_and_port()
    result = []
    for test in tests:
        token = None
        if args["with_urls"] or args["with_only_token"]:
            token = TeraTest.get_access_token(test.test_uuid, key, requester, expiration=ACCESS_TOKEN_LIFETIME)
        if args["with_only_token"]:
            result.append({"test_uuid": test.test_uuid, "access_token": token})
            continue
        item = test.to_json()
        if args["with_urls"]:
            item["access_token"] = token
            item.update(test.get_service_url(server, port))
        result.append(item)
    return result


class ServiceQueryTests(ServiceResource):
    @ns.doc(
        description="Tests (a list), selected by one of the ID parameters.",
        responses={200: "Success", 400: "No selector", 403: "Forbidden"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get tests."""
        args = get_parser.parse_args()
        return tests_json(select_tests(service_access(), args), args)

    @ns.expect(bodies.TEST)
    @ns.doc(
        description="Create (id_test 0) or update a test in an accessible session (id_session or "
        "session_uuid; id_test_type or test_type_uuid).",
        responses={200: "Success - list with the test", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | list[dict[str, Any]]:
        """Create or update a test."""
        values = json_dict("test")
        id_test = require_int(values, "id_test")
        access = service_access()
        if "session_uuid" in values:
            session_uuid = str(values.pop("session_uuid"))
            if "id_session" not in values:
                session = TeraSession.get_session_by_uuid(session_uuid)
                if session is None:
                    raise ClientError("Unknown session")
                values["id_session"] = session.id_session
        if "test_type_uuid" in values:
            test_type = TeraTestType.get_test_type_by_uuid(str(values.pop("test_type_uuid")))
            if test_type is None:
                raise ClientError("Invalid test type")
            values["id_test_type"] = test_type.id_test_type
        if id_test == 0 and "id_session" not in values:
            raise ClientError("Unknown session")
        if id_test == 0 or "id_session" in values:
            if require_int(values, "id_session") not in access.sessions_ids:
                raise forbidden("Service can't create tests for that session")
        owner_ids(access, values)
        if id_test == 0:
            if "id_test_type" not in values:
                raise ClientError("Missing id_test_type field")
            test_type = TeraTestType.get_test_type_by_id(require_int(values, "id_test_type"))
            if test_type is None:
                raise ClientError("Invalid test type")
            values.pop("id_test")
            set_test_defaults(values, test_type)
            test = TeraTest()
            test.from_json(values)
            TeraTest.insert(test)
        else:
            existing = TeraTest.get_test_by_id(id_test)
            if existing is None or existing.id_session not in access.sessions_ids:
                raise forbidden()
            TeraTest.update(id_test, values)
            test = TeraTest.get_test_by_id(id_test)
        return [test.to_json()]

    @ns.doc(description="Delete a test.", responses={200: "Success", 400: "Unknown test", 403: "Forbidden"})
    @ns.expect(delete_parser)
    def delete(self) -> Answer:
        """Delete a test."""
        test = TeraTest.get_test_by_uuid(delete_parser.parse_args()["uuid"])
        if test is None:
            raise ClientError("Unknown test")
        if test.id_session not in service_access().sessions_ids:
            raise forbidden("Service can't delete tests for that session")
        TeraTest.delete(test.id_test)
        return "", 200


def invitation_url(invitation: dict[str, Any]) -> str | None:
    """Upstream appends `&invitation_key=` to the test type's web URL as is (no `?`): reproduced."""
    server, port = external_server_and_port()
    test_type = TeraTestType.get_test_type_by_id(invitation["id_test_type"])
    web_url = test_type.get_service_urls(server, port)["test_type_web_url"] if test_type is not None else None
    return f"{web_url}&invitation_key={invitation['test_invitation_key']}" if web_url else None


def with_invitation_urls(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """As upstream: `test_invitation_url` is added only when the test type has a web URL."""
    for item in items:
        url = invitation_url(item)
        if url is not None:
            item["test_invitation_url"] = url
    return items


def check_invitation_target(access: ServiceAccess, values: dict[str, Any]) -> None:
    """A new invitation: own test type, accessible project, exactly one accessible invitee."""
    if require_int(values, "id_test_type") not in access.test_types_ids:
        raise ClientError("Forbidden: test type", 403)
    if require_int(values, "id_project") not in access.projects_ids:
        raise ClientError("Forbidden: project", 403)
    invitees = [name for name in ("id_user", "id_participant", "id_device") if values.get(name) is not None]
    if len(invitees) != 1:
        raise ClientError("Exactly one of id_user, id_participant, id_device is required")
    scope = {"id_user": "users_ids", "id_participant": "participants_ids", "id_device": "devices_ids"}[invitees[0]]
    allowed = getattr(access, scope)
    if require_int(values, invitees[0]) not in allowed:
        raise ClientError(f"Forbidden: {invitees[0]}", 403)
    if values.get("id_session") is not None and require_int(values, "id_session") not in access.sessions_ids:
        raise ClientError("Forbidden: session", 403)
    if values.get("test_invitation_key"):
        raise ClientError("test_invitation_key is generated by the server")
    if not values.get("test_invitation_expiration_date"):
        raise ClientError("Missing test_invitation_expiration_date")


class ServiceQueryTestsInvitations(ServiceResource):
    @ns.doc(
        description="Test invitations of the caller's test types, filtered by any of the parameters.",
        responses={200: "Success", 400: "Unknown parameter"},
    )
    @ns.expect(invitations_get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get test invitations."""
        args = strict_args(invitations_get_parser)
        accessible = service_access().test_invitations_query().order_by(TeraTestInvitation.id_test_invitation)
        minimal = not args["full"]
        filters = {name: args[name] for name in (*INVITATION_FILTERS_BY_ID, "test_invitation_key")}
        for name, (column, finder) in INVITATION_FILTERS_BY_UUID.items():
            if args[name] is not None:
                row = finder(args[name])
                if row is not None:
                    filters[column] = getattr(row, column)
        if all(value is None for value in filters.values()):
            invitations = accessible.all()
        else:
            # As upstream: each given filter adds its matches in turn (a union, in this order, an invitation
            # matching two filters appearing twice), not an intersection.
            invitations = []
            for name in INVITATION_FILTER_ORDER:
                if filters[name] is not None:
                    invitations += accessible.filter(getattr(TeraTestInvitation, name) == filters[name]).all()
        items = [invitation.to_json(minimal=minimal) for invitation in invitations]
        return with_invitation_urls(items) if args["with_urls"] else items

    @ns.expect(bodies.TESTS_INVITATIONS)
    @ns.doc(
        description="Create (id_test_invitation 0) or update (count, max count, expiration) invitations.",
        responses={200: "Success - list with URLs", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | list[dict[str, Any]]:
        """Create or update test invitations."""
        access = service_access()
        items = json_objects("tests_invitations")
        for values in items:  # every item is checked before the first write, as upstream
            id_invitation = require_int(values, "id_test_invitation")
            if id_invitation == 0:
                check_invitation_target(access, values)
            else:
                invitation = TeraTestInvitation.get_test_invitation_by_id(id_invitation)
                if invitation is None or invitation.id_test_type not in access.test_types_ids:
                    raise ClientError("Forbidden", 403)
                if not any(name in values for name in INVITATION_UPDATABLE):
                    raise ClientError("You can only update test_invitation_count")
        saved = []
        for values in items:
            id_invitation = values["id_test_invitation"]
            if id_invitation == 0:
                values.pop("id_test_invitation")
                invitation = TeraTestInvitation()
                invitation.from_json(values)
                TeraTestInvitation.insert(invitation)
            else:
                # As upstream: only the count, max count and expiration date are updated, other fields ignored.
                update = {name: values[name] for name in INVITATION_UPDATABLE if name in values}
                TeraTestInvitation.update(id_invitation, update)
                invitation = TeraTestInvitation.get_test_invitation_by_id(id_invitation)
            saved.append(invitation.to_json(minimal=False))
        return with_invitation_urls(saved)

    @ns.doc(description="Delete an invitation.", responses={200: "Success", 403: "Forbidden"})
    @ns.expect(invitations_delete_parser)
    def delete(self) -> Answer:
        """Delete a test invitation."""
        args = strict_args(invitations_delete_parser)
        invitation = TeraTestInvitation.get_test_invitation_by_id(args["id"])
        if invitation is None or invitation.id_test_type not in service_access().test_types_ids:
            raise ClientError("Forbidden", 403)
        TeraTestInvitation.delete(invitation.id_test_invitation)
        return "", 200
