"""Entry point of the sample OpenTera service: `python main.py [--config FILE]`.

The config file defaults to OPENTERA_SERVICE_CONFIG, which the generated Compose wiring sets to the JSON
`devstack render` makes from the manifest (config/<key>.json, mounted at /app/config): nothing here names the key.

Start-up as upstream's example service: read the JSON configuration, read this service's registration
`service.<key>` from Redis (its uuid, and the port/hostname TeraServer knows it by), open its own database,
create the ServiceOpenTera object (token keys, service token, subscriptions), then serve the Flask app on
Twisted, whose reactor also runs the asynchronous Redis subscriptions.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

import redis
from twisted.internet import reactor, task
from twisted.web.server import Site
from twisted.web.wsgi import WSGIResource
from urllib3.exceptions import InsecureRequestWarning

from libservice.config import ConfigError, load_config
from libservice.db import NotesDatabase
from libservice.redaction import redact_standard_streams
from libservice.registry import RegistrationMissing, wait_for_service_info
from libservice.service import SampleService
from libservice.web import ScriptNameFromProxy, create_app

HERE = Path(__file__).resolve().parent
CONFIG_VARIABLE = "OPENTERA_SERVICE_CONFIG"
DEFAULT_FRONTEND = HERE.parent / "Frontend"
REGISTRATION_WAIT_SECONDS = 60
KEY_CHECK_INTERVAL_SECONDS = 5

log = logging.getLogger("sample")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Sample OpenTera service")
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get(CONFIG_VARIABLE),
        help=f"service JSON configuration (default: ${CONFIG_VARIABLE})",
    )
    parser.add_argument("--frontend", type=Path, default=DEFAULT_FRONTEND, help="folder of the static Frontend")
    arguments = parser.parse_args(argv)
    if arguments.config is None:
        parser.error(f"no configuration: pass --config FILE or set {CONFIG_VARIABLE}")
    return arguments


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # The package calls TeraServer with verify=False (upstream); one warning per request would drown the logs.
    warnings.simplefilter("ignore", InsecureRequestWarning)
    arguments = parse_arguments(argv)
    try:
        config = load_config(arguments.config)
    except ConfigError as error:
        log.critical("configuration: %s", error)
        return 2

    redact_standard_streams([config.redis_config["password"], config.db_config["password"]])
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, force=True)  # onto the redacting stream
    service_key = config.service_config["name"]
    redis_config = config.redis_config
    client = redis.Redis(
        host=redis_config["hostname"],
        port=redis_config["port"],
        db=redis_config["db"],
        username=redis_config["username"] or None,
        password=redis_config["password"] or None,
    )
    try:
        service_info = wait_for_service_info(client, service_key, REGISTRATION_WAIT_SECONDS)
    except (RegistrationMissing, redis.RedisError) as error:
        log.critical("%s", error)
        return 1
    finally:
        client.close()

    # As upstream: TeraServer's record wins over the file for the uuid, port and host name.
    config.service_config["ServiceUUID"] = service_info["service_uuid"]
    config.service_config["port"] = service_info["service_port"]
    config.service_config["hostname"] = service_info["service_hostname"]

    notes = NotesDatabase(config.db_config)
    notes.create_schema()

    service = SampleService(config, service_info, notes)
    app = create_app(service, arguments.frontend.resolve())

    # Backstop for the on-demand check: notice rotated keys even when no request came in.
    task.LoopingCall(service.check_keys_periodically).start(KEY_CHECK_INTERVAL_SECONDS, now=False)

    resource = WSGIResource(reactor, reactor.getThreadPool(), ScriptNameFromProxy(app))
    reactor.listenTCP(int(config.service_config["port"]), Site(resource))
    log.info("%s %s listening on port %s", service_key, service.service_uuid, config.service_config["port"])
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
