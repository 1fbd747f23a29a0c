"""Swagger body schemas of the /api/service POST methods (documentation, and what the fuzz test generates from).

Bodies are not validated against them: each handler checks what it needs and answers 400 naming the problem.
Most come from the package's own `Model.get_json_schema()`, as upstream documents them.
"""

from __future__ import annotations

from typing import Any

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionEvent import TeraSessionEvent
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraTest import TeraTest
from opentera.db.models.TeraTestInvitation import TeraTestInvitation
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraUserGroup import TeraUserGroup

from teraserver.api.service.namespace import ns


def body_model(name: str, properties: dict[str, Any]) -> Any:
    """A Swagger body schema for a POST (documentation: handlers check bodies themselves and answer 400).

    `properties` is usually the model's own `get_json_schema()`, i.e. `{"<object name>": {"properties": ...}}`,
    as upstream documents its bodies.
    """
    return ns.schema_model(name, {"type": "object", "properties": properties})


INTEGER_LIST = {"type": "array", "items": {"type": "integer"}}
UUID_LIST = {"type": "array", "items": {"type": "string"}}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


def _type_projects(type_key: str, type_id: str, project_types_key: str, links_key: str) -> dict[str, Any]:
    return {
        type_key: _object(
            {
                type_id: {"type": "integer"},
                "projects": {"type": "array", "items": _object({"id_project": {"type": "integer"}})},
            }
        ),
        "project": _object(
            {
                "id_project": {"type": "integer"},
                project_types_key: {"type": "array", "items": _object({type_id: {"type": "integer"}})},
            }
        ),
        links_key: {
            "type": "array",
            "items": _object({type_id: {"type": "integer"}, "id_project": {"type": "integer"}}),
        },
    }


ASSET = body_model("service_asset", TeraAsset.get_json_schema())
DEVICE = body_model("service_device", TeraDevice.get_json_schema())
PARTICIPANT = body_model("service_participant", TeraParticipant.get_json_schema())
PARTICIPANT_GROUP = body_model("service_participant_group", TeraParticipantGroup.get_json_schema())
PROJECT = body_model("service_project", TeraProject.get_json_schema())
SERVICE_ROLE = body_model("service_service_role", TeraServiceRole.get_json_schema())
SERVICE_ACCESS = body_model("service_service_access", TeraServiceAccess.get_json_schema())
SESSION = body_model("service_session", TeraSession.get_json_schema())
SESSION_EVENT = body_model("service_session_event", TeraSessionEvent.get_json_schema())
TEST = body_model("service_test", TeraTest.get_json_schema())
TEST_TYPE = body_model("service_test_type", TeraTestType.get_json_schema())
USER_GROUP = body_model("service_user_group", TeraUserGroup.get_json_schema())
SESSION_TYPE = body_model(
    "service_session_type",
    {
        "service_session_type": _object(
            {
                **TeraSessionType.get_json_schema(),
                "id_sites": INTEGER_LIST,
                "id_projects": INTEGER_LIST,
                "id_participants": INTEGER_LIST,
            }
        )
    },
)
SESSION_MANAGE = body_model(
    "service_session_manage",
    {
        "session_manage": _object(
            {
                "action": {"type": "string", "enum": ["start", "stop", "invite", "remove", "invite_reply"]},
                "session_uuid": {"type": "string"},
                "id_session": {"type": "integer"},
                "id_session_type": {"type": "integer"},
                "id_service": {"type": "integer"},
                "id_creator_user": {"type": "integer"},
                "id_creator_participant": {"type": "integer"},
                "id_creator_device": {"type": "integer"},
                "id_creator_service": {"type": "integer"},
                "session_participants": UUID_LIST,
                "session_users": UUID_LIST,
                "session_devices": UUID_LIST,
                "parameters": {"type": "object"},
            }
        )
    },
)
TESTS_INVITATIONS = body_model(
    "service_tests_invitations",
    {"tests_invitations": {"type": "array", "items": TeraTestInvitation.get_json_schema()["test_invitation"]}},
)
SESSION_TYPE_PROJECTS = body_model(
    "service_session_type_projects",
    _type_projects("session_type", "id_session_type", "sessions_types", "sessions_types_projects"),
)
TEST_TYPE_PROJECTS = body_model(
    "service_test_type_projects", _type_projects("test_type", "id_test_type", "testtypes", "test_type_project")
)
