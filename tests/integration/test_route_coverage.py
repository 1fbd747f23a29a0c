"""Route coverage (issue 14): every REST resource and method upstream's TeraServer has, ours answers, or it is
listed as not served yet with the issue tracking it. Checked against the running server's own OpenAPI document,
which flask-restx builds from the routes it really registered.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from devstack.testing.frontdoor import FrontDoorSession

UPSTREAM = Path(__file__).resolve().parents[2] / "services" / "teraserver" / "upstream-routes.json"
METHODS = {"get", "post", "put", "delete", "patch"}


def upstream() -> dict:
    return json.loads(UPSTREAM.read_text())


@pytest.fixture(scope="module")
def served(devstack, devstack_ca) -> dict[str, set[str]]:
    """Path -> upper-case methods, from /api/swagger.json (its paths are relative to basePath /api)."""
    with FrontDoorSession(devstack.base_url, devstack_ca) as front:
        response = front.get("/api/swagger.json")
    response.raise_for_status()
    document = response.json()
    base = document.get("basePath", "/api").rstrip("/")
    return {
        base + path: {method.upper() for method in operations if method in METHODS}
        for path, operations in document["paths"].items()
    }


def missing(served: dict[str, set[str]]) -> dict[str, list[str]]:
    """Upstream routes (path -> methods) ours does not answer, whole or in part."""
    gaps = {}
    for path, methods in upstream()["routes"].items():
        absent = sorted(set(methods) - served.get(path, set()))
        if absent:
            gaps[path] = absent
    return gaps


def test_every_upstream_route_is_served_or_listed(served: dict[str, set[str]]) -> None:
    listed = upstream()["not_served"]
    unlisted = {path: methods for path, methods in missing(served).items() if path not in listed}
    assert not unlisted, f"upstream routes ours does not serve and not_served does not list: {unlisted}"


def test_the_not_served_list_only_names_missing_routes(served: dict[str, set[str]]) -> None:
    gaps = missing(served)
    listed = upstream()["not_served"]
    stale = sorted(path for path in listed if path not in gaps)
    assert not stale, f"served now: remove them from not_served in {UPSTREAM.name}: {stale}"
    for path, entry in listed.items():
        assert entry.get("issue") and entry.get("methods") == gaps[path], (path, entry, gaps[path])


def test_the_upstream_list_is_whole() -> None:
    """A guard against an edited-away route: upstream registers 90 resources outside its test namespace."""
    routes = upstream()["routes"]
    assert Counter(path.split("/")[2] for path in routes) == {"user": 50, "service": 24, "participant": 7, "device": 9}
    assert all(set(methods) <= {m.upper() for m in METHODS} and methods for methods in routes.values())
