"""Register services with TeraServer through its public user API, as an admin would from OpenTeraPlus.

Only upstream's endpoints and payloads are used (login, sites, projects, services, services/sites,
services/projects), so the same code registers a service with an upstream TeraServer. Every step is
idempotent: running it again updates the service row and leaves existing links alone.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests

from devstack import progress
from devstack.manifest import Manifest

DEFAULT_SITE_NAME = "Default Site"
DEV_PROJECT_NAME = "DevStack Project"
DEFAULT_ROLES = ("admin", "user")
REQUEST_TIMEOUT_SECONDS = 20


class RegistrationError(RuntimeError):
    """TeraServer refused or failed a request that should work (bad credentials, server error, no answer)."""


class MissingEndpointError(RegistrationError):
    """TeraServer does not implement an endpoint (404/405): a partial TeraServer, not a wrong request."""

    def __init__(self, method: str, path: str, status: int) -> None:
        super().__init__(f"TeraServer has no {method} {path} (HTTP {status})")
        self.endpoint = f"{method} {path}"


@dataclass
class TeraServerClient:
    base_url: str
    session: requests.Session
    # Passed with every request: requests lets REQUESTS_CA_BUNDLE (set in our Python image) override Session.verify.
    verify: str | bool

    @classmethod
    def login(
        cls,
        base_url: str,
        username: str,
        password: str,
        verify: str | bool,
        wait_seconds: float = 0,
        sink: progress.Sink = progress.print_line,
    ) -> TeraServerClient:
        """Log in with HTTP Basic (GET /api/user/login) and keep the user token for the next requests.

        `wait_seconds`: keep retrying while TeraServer does not answer yet (connection refused, 502/503),
        saying every few seconds what it waits for (to `sink`).
        """
        session = requests.Session()
        session.verify = verify
        url = base_url.rstrip("/") + "/api/user/login"
        deadline = time.monotonic() + wait_seconds
        last_answer = {"text": "no answer yet"}
        # From a thread: one slow request (up to REQUEST_TIMEOUT_SECONDS) must not leave a silent gap either.
        with progress.heartbeat(
            f"waiting for TeraServer at {base_url} (up to {wait_seconds:.0f} s)",
            sink,
            detail=lambda: last_answer["text"],
        ):
            while True:
                try:
                    response = session.get(
                        url, auth=(username, password), timeout=REQUEST_TIMEOUT_SECONDS, verify=verify
                    )
                    if response.status_code not in (502, 503, 504) or time.monotonic() >= deadline:
                        break
                    last_answer["text"] = f"last answer HTTP {response.status_code}"
                # SSLError first: it is a ConnectionError too, and a wrong CA will not fix itself by waiting.
                except requests.exceptions.SSLError as error:
                    raise RegistrationError(
                        f"TLS to {base_url} failed (is the CA file the stack's?): {error}"
                    ) from error
                except requests.ConnectionError as error:
                    if time.monotonic() >= deadline:
                        raise RegistrationError(f"TeraServer does not answer at {base_url}: {error}") from error
                    last_answer["text"] = "connection refused or dropped"
                time.sleep(1)
        if response.status_code == 401:
            raise RegistrationError(
                f"login as {username!r} refused by {base_url} (HTTP 401): check TERASERVER_ADMIN_USERNAME / "
                "TERASERVER_ADMIN_PASSWORD"
            )
        if response.status_code != 200:
            raise RegistrationError(f"login at {url} failed: HTTP {response.status_code} {response.text[:200]}")
        token = response.json().get("user_token")
        if not token:
            raise RegistrationError(f"login at {url} returned no user_token (password change required?)")
        session.headers["Authorization"] = f"OpenTera {token}"
        return cls(base_url.rstrip("/"), session, verify)

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: object = None) -> Any:
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=body,
                timeout=REQUEST_TIMEOUT_SECONDS,
                verify=self.verify,
            )
        except requests.RequestException as error:
            raise RegistrationError(f"{method} {path} failed: {error}") from error
        if response.status_code in (404, 405):
            raise MissingEndpointError(method, path, response.status_code)
        if response.status_code >= 400:
            raise RegistrationError(f"{method} {path} failed: HTTP {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    # --- sites and projects ----------------------------------------------------------------------------
    def site_id(self, name: str = DEFAULT_SITE_NAME) -> int:
        for site in self.call("GET", "/api/user/sites") or []:
            if site.get("site_name") == name:
                return int(site["id_site"])
        raise RegistrationError(f"TeraServer has no site named {name!r} (GET /api/user/sites)")

    def ensure_project(self, id_site: int, name: str = DEV_PROJECT_NAME) -> int:
        for project in self.call("GET", "/api/user/projects", params={"id_site": id_site}) or []:
            if project.get("project_name") == name:
                return int(project["id_project"])
        created = self.call(
            "POST", "/api/user/projects", body={"project": {"id_project": 0, "id_site": id_site, "project_name": name}}
        )
        row = created[0] if isinstance(created, list) else created
        return int(row["id_project"])

    # --- services --------------------------------------------------------------------------------------
    def find_service(self, key: str) -> dict[str, Any] | None:
        rows = self.call("GET", "/api/user/services", params={"key": key}) or []
        return next((row for row in rows if row.get("service_key") == key), None)

    def upsert_service(self, manifest: Manifest) -> dict[str, Any]:
        """Create the service (or update its row) with the stack's host name, port and prefix, and its roles."""
        existing = self.find_service(manifest.key)
        # Upstream deletes the roles missing from the list sent: send every existing one, add admin/user if absent.
        roles = [
            {"id_service_role": role["id_service_role"], "service_role_name": role["service_role_name"]}
            for role in (existing or {}).get("service_roles", [])
        ]
        present = {role["service_role_name"] for role in roles}
        roles += [{"id_service_role": 0, "service_role_name": name} for name in DEFAULT_ROLES if name not in present]
        service = {
            "id_service": existing["id_service"] if existing else 0,
            "service_key": manifest.key,
            "service_name": manifest.name,
            "service_hostname": manifest.folder,
            "service_port": manifest.port,
            "service_endpoint": "/",
            "service_clientendpoint": manifest.prefix,
            "service_enabled": True,
            "roles": roles,
        }
        result = self.call("POST", "/api/user/services", body={"service": service})
        return result[0] if isinstance(result, list) else result

    def link_site(self, id_service: int, id_site: int) -> bool:
        """Link the service to the site; False when it was linked already."""
        links = self.call("GET", "/api/user/services/sites", params={"id_service": id_service}) or []
        if any(int(link.get("id_site", -1)) == id_site for link in links):
            return False
        self.call(
            "POST", "/api/user/services/sites", body={"service_site": {"id_service": id_service, "id_site": id_site}}
        )
        return True

    def link_project(self, id_service: int, id_project: int) -> bool:
        links = self.call("GET", "/api/user/services/projects", params={"id_service": id_service}) or []
        if any(int(link.get("id_project", -1)) == id_project for link in links):
            return False
        self.call(
            "POST",
            "/api/user/services/projects",
            body={"service_project": {"id_service": id_service, "id_project": id_project}},
        )
        return True

    def delete_service(self, key: str) -> bool:
        """Delete the service's row (TeraServer then drops `service.<key>` from Redis); False when absent."""
        existing = self.find_service(key)
        if existing is None:
            return False
        self.call("DELETE", "/api/user/services", params={"id": existing["id_service"]})
        return True


@dataclass
class Result:
    registered: list[str]
    warnings: list[str]


def register_all(client: TeraServerClient, manifests: Iterable[Manifest], log: Any = print) -> Result:
    """Register every manifest's service, linked to the default site and the dev project.

    Endpoints TeraServer lacks (404/405) become warnings naming them; other failures raise.
    """
    result = Result([], [])
    manifests = list(manifests)
    if not manifests:
        return result
    id_site: int | None = None
    id_project: int | None = None
    try:
        id_site = client.site_id()
        id_project = client.ensure_project(id_site)
        log(f"dev project {DEV_PROJECT_NAME!r} (id {id_project}) in {DEFAULT_SITE_NAME!r} (id {id_site})")
    except MissingEndpointError as error:
        result.warnings.append(f"{error}: services are not linked to a site or project")
    for manifest in manifests:
        try:
            row = client.upsert_service(manifest)
        except MissingEndpointError as error:
            result.warnings.append(f"{error}: {manifest.key} is not registered")
            continue
        id_service = int(row["id_service"])
        result.registered.append(manifest.key)
        log(
            f"registered {manifest.key} (id {id_service}): http://{manifest.folder}:{manifest.port}/, "
            f"public prefix {manifest.prefix}, roles {', '.join(DEFAULT_ROLES)}"
        )
        try:
            if id_site is not None:
                client.link_site(id_service, id_site)
            if id_project is not None:
                client.link_project(id_service, id_project)
        except MissingEndpointError as error:
            result.warnings.append(f"{error}: {manifest.key} is registered but not linked")
    return result
