"""The boot sequence, run once per start in the parent process before any server worker exists.

Order follows upstream TeraServer: database (schema, defaults), then the shared variables in
Redis (token keys, ServerVersions refresh) and the `service.<key>` entries. Running it once, before the
workers fork, guarantees one key rotation per start however many workers serve requests.

Replicas (several servers on one database and one Redis, issue 19): the whole sequence runs under a PostgreSQL
advisory lock (database.boot_lock), so concurrent boots take turns and an empty database gets its schema and
defaults once. With TERASERVER_DEPLOYMENT_ID set, the dynamic token keys rotate once per deployment id, not
per start (redis_state.claim_dynamic_keys; docs/deploy.md, "TeraServer replicas").
"""

from __future__ import annotations

import logging

import redis
from flask import Flask
from opentera.db.models.TeraService import TeraService

from teraserver import database, redis_state, server_settings
from teraserver.settings import Settings

log = logging.getLogger("teraserver.boot")


def run_boot(settings: Settings) -> None:
    app = Flask("teraserver.boot")
    db = database.init_db(app, settings, pool_size=2)
    client = redis.Redis(socket_timeout=10, **settings.redis_kwargs())
    try:
        with app.app_context(), database.boot_lock(db):
            database.ensure_schema(db)
            test_data = settings.test_data
            if test_data and database.has_data():
                # Upstream's test set only fits an empty database: over existing rows its creators fail on rows
                # they expect (a crash loop, issue 17). Serve the data as it is and say what to do instead.
                log.warning(
                    "TERASERVER_TEST_DATA=true loads upstream's test data into an empty database only; this one "
                    "has data, kept as it is. To replace it with the test data: `devstack seed`; to start empty: "
                    "`devstack reset`."
                )
                test_data = False
            users_created = database.create_defaults(test=test_data)
            if users_created and not test_data:
                # Upstream's test set keeps its own accounts (admin / admin...); a plain start gets .env's.
                database.adopt_admin_account(settings.admin_username, settings.admin_password)
            if users_created and not settings.force_password_change:
                database.relax_admin_password_change()

            static = server_settings.read_static_keys()
            keys = redis_state.token_keys(static.device_token_key, static.participant_token_key)
            versions = server_settings.refresh_server_versions()
            services = TeraService.query.execution_options(include_deleted=True).all()
            keys, rotated = redis_state.publish_startup_state(client, keys, services, settings.deployment_id)

            # Revoked tokens that no longer verify (signed with keys rotated away, or expired): drop them now.
            purged = redis_state.purge_disabled_tokens(
                client, redis_state.USER_DISABLED_TOKENS, keys[redis_state.RedisVars.RedisVar_UserTokenAPIKey]
            )
            purged += redis_state.purge_disabled_tokens(
                client,
                redis_state.PARTICIPANT_DISABLED_TOKENS,
                keys[redis_state.RedisVars.RedisVar_ParticipantTokenAPIKey],
            )
            db.session.remove()
        log.info(
            "boot complete",
            extra={
                "server_version": versions.get("version_string"),
                "deployment_id": settings.deployment_id or None,
                "token_keys_rotated": rotated,
                "purged_disabled_tokens": purged,
            },
        )
    finally:
        client.close()
        # Workers are forked from this process: they must not inherit open PostgreSQL connections.
        with app.app_context():
            db.engine.dispose()
