"""GET /health: 200 {"status": "ok"} only when PostgreSQL and Redis answer and Redis holds the token keys.

Else 503 with details. Keys missing means Redis lost its data (a FLUSHALL, a restart without persistence):
logins cannot work until the websocket process's upkeep writes them back (within about 5 s).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify
from flask_sqlalchemy import SQLAlchemy

from teraserver import context, redis_state

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
            missing = redis_state.missing_token_keys(context.redis_client())
            if missing:
                problems["redis"] = f"token keys missing (being restored): {', '.join(missing)}"
        except Exception as exc:
            problems["redis"] = str(exc) or type(exc).__name__
        if problems:
            log.warning("health check failed", extra={"problems": problems})
            return jsonify({"status": "unavailable", "problems": problems}), 503
        return jsonify({"status": "ok"}), 200

    return bp
