"""/api/service/testtypes and /api/service/testtypes/projects."""

from __future__ import annotations

from typing import Any

from flask_restx import inputs, reqparse
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraTestTypeProject import TeraTestTypeProject
from opentera.db.models.TeraTestTypeSite import TeraTestTypeSite

from teraserver.api.common import Answer, ClientError, json_body, json_dict, strict_args
from teraserver.api.resources import ServiceResource
from teraserver.api.rows import delete_model
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.api.service.type_projects import TypeProjectLinks
from teraserver.service_access import service_access
from teraserver.service_auth import current_service

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_site", type=int, location="args", help="Test types used in that site")
get_parser.add_argument("id_project", type=int, location="args", help="Test types used in that project")
get_parser.add_argument("id_participant", type=int, location="args", help="Test types of that participant")
get_parser.add_argument("id_test_type", type=int, location="args", help="ID of the test type")
get_parser.add_argument("test_type_uuid", type=str, location="args", help="UUID of the test type")
get_parser.add_argument("test_type_key", type=str, location="args", help="Key of the test type")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("uuid", type=str, location="args", required=True, help="UUID of the test type")

projects_get_parser = reqparse.RequestParser()
projects_get_parser.add_argument("id_project", type=int, location="args", help="Associations of that project")
projects_get_parser.add_argument("id_test_type", type=int, location="args", help="Associations of that type")
projects_get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Add id_site, site_name")

projects_delete_parser = reqparse.RequestParser()
projects_delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the association")

TEST_TYPE_PROJECTS = TypeProjectLinks(
    link_model=TeraTestTypeProject,
    site_link_model=TeraTestTypeSite,
    type_model=TeraTestType,
    type_id="id_test_type",
    type_name="test_type_name",
    link_id="id_test_type_project",
    type_key="test_type",
    project_types_key="testtypes",
    links_key="test_type_project",
    accessible_types=lambda access: access.test_types_ids,
    no_project_types="Missing test types",
)


def linked_test_types(link_model: Any, column: str, value: int, relation: str) -> list[TeraTestType]:
    """Every test type linked to that site or project (any service's), in link order, as upstream."""
    links = link_model.query.filter(getattr(link_model, column) == value)
    return [getattr(link, relation) for link in links.order_by(getattr(link_model, link_model.get_primary_key_name()))]


class ServiceQueryTestTypes(ServiceResource):
    @ns.doc(
        description="Test types of the calling service by name, or every type linked to an accessible site, "
        "project or participant's project.",
        responses={200: "Success (an empty list for what the service cannot access)", 400: "Unknown parameter"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get test types."""
        args = strict_args(get_parser)
        access = service_access()
        # Upstream's precedence; what the caller cannot access gives an empty list, not a 403. Through a site,
        # project or participant, every test type linked there is listed, whatever its service.
        types: list[TeraTestType] = []
        if args["id_site"]:
            if args["id_site"] in access.sites_ids:
                types = linked_test_types(TeraTestTypeSite, "id_site", args["id_site"], "test_type_site_test_type")
        elif args["id_project"]:
            if args["id_project"] in access.projects_ids:
                types = linked_test_types(
                    TeraTestTypeProject, "id_project", args["id_project"], "test_type_project_test_type"
                )
        elif args["id_participant"]:
            if args["id_participant"] in access.participants_ids:
                participant = TeraParticipant.get_participant_by_id(args["id_participant"])
                types = linked_test_types(
                    TeraTestTypeProject, "id_project", participant.id_project, "test_type_project_test_type"
                )
        elif args["id_test_type"]:
            if args["id_test_type"] in access.test_types_ids:
                types = [TeraTestType.get_test_type_by_id(args["id_test_type"])]
        elif args["test_type_uuid"]:
            found = TeraTestType.get_test_type_by_uuid(args["test_type_uuid"])
            types = [found] if found is not None and found.id_test_type in access.test_types_ids else []
        elif args["test_type_key"]:
            found = TeraTestType.get_test_type_by_key(args["test_type_key"])
            types = [found] if found is not None and found.id_test_type in access.test_types_ids else []
        else:
            types = access.test_types()  # by name, as upstream
        return [test_type.to_json() for test_type in types]

    @ns.expect(bodies.TEST_TYPE)
    @ns.doc(
        description="Create (id_test_type 0) or update an own test type (by id or test_type_uuid).",
        responses={200: "Success", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a test type."""
        values = json_dict("test_type")
        own_id = current_service().id_service
        if "id_service" in values and values["id_service"] != own_id:
            raise ClientError("Forbidden", 403)
        if "id_test_type" not in values and values.get("test_type_uuid"):
            existing = TeraTestType.get_test_type_by_uuid(str(values["test_type_uuid"]))
            if existing is None:
                raise ClientError("Unknown test_type_uuid")
            values["id_test_type"] = existing.id_test_type
        id_type = values.get("id_test_type")
        if isinstance(id_type, bool) or not isinstance(id_type, int):
            raise ClientError("Missing id_test_type or test_type_uuid")
        values["id_service"] = own_id
        if id_type == 0:
            missing = TeraTestType.validate_required_fields(json_data=values)
            if missing:
                raise ClientError(f"Missing fields: {sorted(missing)}")
            values.pop("id_test_type")
            test_type = TeraTestType()
            test_type.from_json(values)
            TeraTestType.insert(test_type)
            return test_type.to_json()
        existing = TeraTestType.get_test_type_by_id(id_type)
        if existing is None or existing.id_service != own_id:
            raise ClientError("Forbidden", 403)
        TeraTestType.update(id_type, values)
        return TeraTestType.get_test_type_by_id(id_type).to_json()

    @ns.doc(description="Delete an own test type.", responses={200: "Success", 400: "Unknown", 403: "Forbidden"})
    @ns.expect(delete_parser)
    def delete(self) -> Answer:
        """Delete a test type."""
        test_type = TeraTestType.get_test_type_by_uuid(delete_parser.parse_args()["uuid"])
        if test_type is None:
            raise ClientError("Unknown test type")
        if test_type.id_service != current_service().id_service:
            raise ClientError("Forbidden", 403)
        delete_model(TeraTestType, test_type.id_test_type)
        return "", 200


class ServiceQueryTestTypeProjects(ServiceResource):
    @ns.doc(
        description="Test type - project associations (list).",
        responses={200: "Success", 400: "Missing parameter", 403: "Forbidden"},
    )
    @ns.expect(projects_get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get test type - project associations."""
        return TEST_TYPE_PROJECTS.get(projects_get_parser.parse_args())

    @ns.expect(bodies.TEST_TYPE_PROJECTS)
    @ns.doc(
        description="Replace a type's projects ({test_type: {id_test_type, projects}}), a project's types "
        "({project: {id_project, testtypes}}) or add ({test_type_project}).",
        responses={200: "Success", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | list[dict[str, Any]]:
        """Set test type - project associations."""
        body = json_body()
        return TEST_TYPE_PROJECTS.post(body)

    @ns.doc(description="Delete an association.", responses={200: "Success", 400: "Bad id", 403: "Forbidden"})
    @ns.expect(projects_delete_parser)
    def delete(self) -> Answer:
        """Delete a test type - project association."""
        TEST_TYPE_PROJECTS.delete(projects_delete_parser.parse_args()["id"])
        return "", 200
