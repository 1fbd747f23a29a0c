"""`python -m teraserver.seed [--json]`: replace all TeraServer data with upstream's test data set.

Run inside the teraserver container (`devstack seed` does, after asking): same settings as the server, its
own connections. Prints rows per table and the test accounts (`--json`: one JSON object on stdout instead).
Exit 0 when loaded, 1 when the database or Redis refused (message on stderr), 2 on a bad configuration.
Database events are published for the new rows, as upstream's reset does with its listeners installed.
"""

from __future__ import annotations

import argparse
import contextlib
import logging.config
import sys
import warnings
from collections.abc import Sequence

import redis
from flask import Flask

from teraserver.logs import logging_config
from teraserver.settings import SettingsError, load_settings

EXIT_FAILED = 1
EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m teraserver.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)

    # Logs go to stderr here: stdout carries the result (possibly JSON for `devstack seed`).
    logging.config.dictConfig(logging_config("WARNING", fd=2))
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"teraserver.seed: invalid configuration: {error}", file=sys.stderr)
        return EXIT_CONFIG

    from sqlalchemy.exc import SAWarning

    from teraserver import database, db_events, seeding

    # The package's create_defaults trips SQLAlchemy autoflush warnings by the dozen; they say nothing
    # about the result, and would bury a real error message.
    warnings.filterwarnings("ignore", category=SAWarning)

    app = Flask("teraserver.seed")
    db = database.init_db(app, settings, pool_size=2)
    client = redis.Redis(socket_timeout=10, socket_connect_timeout=5, **settings.redis_kwargs())
    db_events.install(client)
    try:
        # The package's models print() while creating rows: keep that off the stdout that carries our result.
        with contextlib.redirect_stdout(sys.stderr), app.app_context():
            result = seeding.seed_test_data(db, client)
            db.engine.dispose()
    except seeding.SeedError as error:
        print(f"teraserver.seed: the test data was not loaded: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        client.close()
    print(seeding.to_json(result) if args.json else "\n".join(seeding.summary_lines(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
