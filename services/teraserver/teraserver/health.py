"""GET /health: 200 {"status": "ok"} only when both PostgreSQL and Redis answer, else 503 with details."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify
from flask_sqlalchemy import SQLAlchemy

from teraserver import context

log = logging.getLogger("teraserver.health")


def make_blueprint(db: SQLAlchemy) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/health")
    def health() -> tuple[Response, int]:
        problems: dict[str, str] = {}
        try:
            db.session.execute(sa.text("SELECT 1"))
        except Exception as exc:
            problems["postgresql"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        try:
            context.redis_client().ping()
        except Exception as exc:
            problems["redis"] = str(exc) or type(exc).__name__
        if problems:
            log.warning("health check failed", extra={"problems": problems})
            return jsonify({"status": "unavailable", "problems": problems}), 503
        return jsonify({"status": "ok"}), 200

    return bp
