"""/api/test/*: upstream's test-only API (`--enable_tests`), registered only when TERASERVER_TEST_DATA=true.

Without test mode the namespace does not exist at all, so its paths answer 404 and stay out of Swagger.
"""

from __future__ import annotations

from flask_restx import Api

from teraserver.api.resources import Route, register_routes
from teraserver.api.test.namespace import ns


def register(api: Api) -> None:
    from teraserver.api.test.database_reset import ResetToTestData

    register_routes(api, ns, [Route("/database/reset", ResetToTestData)])
