"""What the current user may see, decided by TeraServer, never by this service.

Two checks, as OpenTera scopes data: the user's own token on `/api/user/*` says which projects the user can
see; this service's token on `/api/service/*` says which participants the service may access (projects the
service is linked to). What a service keeps about a participant is reachable only when both agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentera.services.TeraUserClient import TeraUserClient

from service_kit.service import KitService


@dataclass
class AccessDenied(Exception):
    """The user or this service may not reach the object; `status` is the HTTP answer to give."""

    message: str
    status: int = 403


class TeraServerUnavailable(Exception):
    """TeraServer answered with an unexpected status (or not at all)."""


def _json_or_raise(response: Any, what: str) -> Any:
    if response.status_code != 200:
        raise TeraServerUnavailable(f"TeraServer answered {response.status_code} to {what}: {response.text[:200]}")
    return response.json()


def user_projects(service: KitService, user: TeraUserClient) -> list[dict[str, Any]]:
    """Projects the user can see (TeraServer's answer to the user's own token)."""
    response = user.do_get_request_to_backend("/api/user/projects")
    return _json_or_raise(response, "GET /api/user/projects (user token)")


def service_project_ids(service: KitService, site_ids: set[int]) -> set[int]:
    """Projects this service is linked to, in the given sites."""
    ids: set[int] = set()
    for id_site in sorted(site_ids):
        response = service.get_as_service("/api/service/projects", {"id_site": id_site})
        if response.status_code == 403:
            continue  # the service is not linked to that site
        ids.update(project["id_project"] for project in _json_or_raise(response, "GET /api/service/projects"))
    return ids


def visible_projects(service: KitService, user: TeraUserClient) -> list[dict[str, Any]]:
    """Projects both the user and this service can see: where notes can be written."""
    projects = user_projects(service, user)
    linked = service_project_ids(service, {project["id_site"] for project in projects})
    return [project for project in projects if project["id_project"] in linked]


def check_project(service: KitService, user: TeraUserClient, id_project: int) -> None:
    response = user.do_get_request_to_backend("/api/user/projects", {"id_project": id_project})
    if not _json_or_raise(response, "GET /api/user/projects?id_project (user token)"):
        raise AccessDenied(f"project {id_project} is not accessible to you")


def project_participants(service: KitService, user: TeraUserClient, id_project: int) -> list[dict[str, Any]]:
    check_project(service, user, id_project)
    response = service.get_as_service("/api/service/participants", {"id_project": id_project})
    if response.status_code == 403:
        raise AccessDenied(f"project {id_project} is not linked to this service")
    return _json_or_raise(response, "GET /api/service/participants?id_project")


def participant(service: KitService, user: TeraUserClient, participant_uuid: str) -> dict[str, Any]:
    """The participant, if this service may access it and the user can see its project."""
    response = service.get_as_service("/api/service/participants", {"participant_uuid": participant_uuid})
    if response.status_code in (400, 404):
        raise AccessDenied(f"unknown participant {participant_uuid}", status=404)
    if response.status_code == 403:
        raise AccessDenied(f"participant {participant_uuid} is not accessible to this service")
    found = _json_or_raise(response, "GET /api/service/participants?participant_uuid")
    check_project(service, user, found["id_project"])
    return found
