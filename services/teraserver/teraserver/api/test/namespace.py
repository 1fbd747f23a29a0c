"""The /api/test Namespace object (test mode only)."""

from flask_restx import Namespace

ns = Namespace("test", description="API for tests (test mode only: TERASERVER_TEST_DATA=true)", path="/test")
