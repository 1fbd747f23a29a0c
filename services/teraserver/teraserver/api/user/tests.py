"""/api/user/tests: test results in sessions (upstream's UserQueryTests rules, in our words).

* GET: 400 "No arguments specified" when no parameter has a true value. The first selector given wins:
  id_device (accessible device, else 403 "Device access denied"), id_session (the one-session rule: creator,
  member, or the session's project accessible; else 403 "Session access denied"), id_participant (403
  "Participant access denied"), id_user (403 "User access denied"): all the tests of that device, session,
  participant or user; id_test or test_uuid: that test when its session passes the one-session rule and its
  type's service is accessible, else an empty list. Only flags set: 400 "Missing argument". Items are the
  minimal form unless `full`; `with_only_token` answers {test_uuid, access_token}; `with_urls` adds the access
  token (30 min, signed with the service token key, requester = the user) and the answer URLs of the test.
* POST: 501, tests are created and changed by the service that runs them (/api/service/tests).
* DELETE ?id=: the test must be visible as above (403 "Forbidden").
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraTest import TeraTest
from opentera.redis.RedisVars import RedisVars

from teraserver import context
from teraserver.api.common import ClientError, database_write, external_server_and_port, forbidden
from teraserver.api.resources import UserResource
from teraserver.api.user.access_extras import visible_session, visible_test
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

TOKEN_LIFETIME = 1800  # seconds, as upstream
POST_REFUSAL = (
    "Test information update and creation must be done directly into a service (such as Test service)",
    501,
)

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_test", type=int, location="args", help="ID of the test to query")
get_parser.add_argument("test_uuid", type=str, location="args", help="UUID of the test to query")
get_parser.add_argument("id_device", type=int, location="args", help="Tests of that device")
get_parser.add_argument("id_session", type=int, location="args", help="Tests of that session")
get_parser.add_argument("id_participant", type=int, location="args", help="Tests of that participant")
get_parser.add_argument("id_user", type=int, location="args", help="Tests of that user")
get_parser.add_argument("with_urls", type=inputs.boolean, location="args", help="Add access token and URLs")
get_parser.add_argument("with_only_token", type=inputs.boolean, location="args", help="Only uuid and access token")
get_parser.add_argument("full", type=inputs.boolean, location="args", help="Add names of session, user, ...")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the test to delete")


def selected_tests(access: UserAccess, args: dict[str, Any]) -> list[TeraTest | None]:
    if not any(args.values()):
        raise ClientError("No arguments specified")
    if args["id_device"]:
        if args["id_device"] not in access.accessible_devices_ids():
            raise forbidden("Device access denied")
        return TeraTest.get_tests_for_device(device_id=args["id_device"])
    if args["id_session"]:
        if visible_session(access, args["id_session"]) is None:
            raise forbidden("Session access denied")
        return TeraTest.get_tests_for_session(session_id=args["id_session"])
    if args["id_participant"]:
        if args["id_participant"] not in access.accessible_participants_ids():
            raise forbidden("Participant access denied")
        return TeraTest.get_tests_for_participant(part_id=args["id_participant"])
    if args["id_user"]:
        if args["id_user"] not in access.accessible_users_ids():
            raise forbidden("User access denied")
        return TeraTest.get_tests_for_user(user_id=args["id_user"])
    if args["id_test"]:
        return [visible_test(access, id_test=args["id_test"])]
    if args["test_uuid"]:
        return [visible_test(access, test_uuid=args["test_uuid"])]
    raise ClientError("Missing argument")


class UserQueryTests(UserResource):
    @ns.doc(
        description="Tests of a device, session, participant or user, or one test (id_test, test_uuid).",
        responses={200: "Success - a list", 400: "No selector", 403: "Forbidden"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get tests."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        tests = [test for test in selected_tests(access, args) if test is not None]
        tokens_needed = args["with_urls"] or args["with_only_token"]
        key = context.redis_client().get(RedisVars.RedisVar_ServiceTokenAPIKey) if tokens_needed else None
        server, port = external_server_and_port()
        result = []
        for test in tests:
            if args["with_only_token"]:
                item: dict[str, Any] = {"test_uuid": test.test_uuid}
            else:
                item = test.to_json(minimal=not args["full"])
            if tokens_needed:
                item["access_token"] = TeraTest.get_access_token(
                    test_uuids=test.test_uuid,
                    token_key=key,
                    requester_uuid=access.user.user_uuid,
                    expiration=TOKEN_LIFETIME,
                )
            if args["with_urls"]:
                item.update(test.get_service_url(server_url=server, server_port=port))
            result.append(item)
        return result

    @ns.doc(description="Not here: a service creates and updates tests.", responses={501: "Use the service"})
    def post(self) -> Any:
        """Create / update a test (501)."""
        return POST_REFUSAL

    @ns.doc(
        description="Delete a test (visible to the user).",
        responses={200: "Success", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a test."""
        args = delete_parser.parse_args(strict=True)
        if visible_test(UserAccess(g.current_user), id_test=args["id"]) is None:
            raise forbidden()
        with database_write("test", message="Cannot delete that test"):
            TeraTest.delete(id_todel=args["id"])
        return "", 200
