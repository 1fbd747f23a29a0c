"""GET /api/test/database/reset: replace all data with upstream's test data set (test mode only).

Unauthenticated, as upstream's TestDBReset: whoever reaches a test-mode server may reset it. The work is
teraserver.seeding's (the same as `python -m teraserver.seed`); the answer is upstream's bare JSON `200`.
"""

from __future__ import annotations

import logging

from flask import current_app

from teraserver import context, seeding
from teraserver.api.common import ClientError
from teraserver.api.resources import PublicResource
from teraserver.api.test.namespace import ns

log = logging.getLogger("teraserver.api.test")


class ResetToTestData(PublicResource):
    """Unauthenticated, as upstream's: the route exists only in test mode."""

    @ns.doc(
        description="Reset the database to upstream's test data set (test mode only, no authentication)",
        security=[],
        responses={200: "Success", 500: "The database or Redis refused; the body says why"},
    )
    def get(self) -> tuple[object, int]:
        """Empty every data table, load the test data set, and bring the `service.*` entries in step."""
        db = current_app.extensions["sqlalchemy"]
        try:
            result = seeding.seed_test_data(db, context.redis_client())
        except seeding.SeedError as error:
            log.error("test data reset failed", extra={"error": str(error)})
            raise ClientError(f"Database reset failed: {error}", 500) from error
        log.info("database reset to the test data set", extra={"counts": result.counts})
        return 200, 200
