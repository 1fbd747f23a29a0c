"""/api/test/*: upstream's test-only API (`--enable_tests`), registered only when TERASERVER_TEST_DATA=true.

Without test mode the namespace does not exist at all, so its paths answer 404 and stay out of Swagger.
"""

from __future__ import annotations

from flask_restx import Api

from teraserver.api.test.namespace import ns


def register(api: Api) -> None:
    from teraserver.api.test import database_reset  # noqa: F401  (importing declares the resource)

    api.add_namespace(ns)
