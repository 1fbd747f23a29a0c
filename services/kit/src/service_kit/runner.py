"""Start-up of a service, as upstream's example service, and its Twisted/Flask wiring: `run(ServiceSpec, argv)`.

Read the JSON configuration (passwords overlaid), mask the passwords in the logs, read this service's
registration `service.<key>` from Redis (its uuid, and the port/hostname TeraServer knows it by: they win over
the file), let the service build its object (its database, its KitService subclass), then serve the Flask app
on Twisted, whose reactor also runs the asynchronous Redis subscriptions and the periodic token-key check.

The config file defaults to OPENTERA_SERVICE_CONFIG, which the generated Compose wiring sets to the JSON
`devstack render` makes from the manifest (config/<key>.json, mounted at /app/config).
"""

from __future__ import annotations

import argparse
import logging
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from twisted.internet import reactor, task
from twisted.web.server import Site
from twisted.web.wsgi import WSGIResource
from urllib3.exceptions import InsecureRequestWarning

from service_kit.config import ConfigError, load_config
from service_kit.redaction import redact_standard_streams
from service_kit.registry import RegistrationMissing, wait_for_service_info
from service_kit.web import ScriptNameFromProxy, create_app

CONFIG_VARIABLE = "OPENTERA_SERVICE_CONFIG"
REGISTRATION_WAIT_SECONDS = 60
KEY_CHECK_INTERVAL_SECONDS = 5
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("service_kit")


@dataclass(frozen=True)
class ServiceSpec:
    """What a service tells the kit about itself (its Backend/main.py builds one)."""

    description: str  # one line: the --help text and the API's description
    version: str  # the service's own version, answered by GET /api/version
    # Builds the service object once the configuration and the registration are known: open the service's
    # database, then construct its KitService subclass with (config, service_info).
    create_service: Callable[[Any, dict[str, Any]], Any]
    namespaces: Sequence[Any] = ()  # the service's flask-restx namespaces, added under /api after the kit's
    frontend_dir: Path | None = None  # its static Frontend, None for a service without one
    require_database: bool = True  # whether its config must have a Database section


def parse_arguments(spec: ServiceSpec, argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=spec.description)
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get(CONFIG_VARIABLE),
        help=f"service JSON configuration (default: ${CONFIG_VARIABLE})",
    )
    parser.add_argument("--frontend", type=Path, default=spec.frontend_dir, help="folder of the static Frontend")
    arguments = parser.parse_args(list(argv))
    if arguments.config is None:
        parser.error(f"no configuration: pass --config FILE or set {CONFIG_VARIABLE}")
    return arguments


def run(spec: ServiceSpec, argv: Sequence[str]) -> int:
    """Start the service and serve it until the reactor stops; the process's exit status."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    arguments = parse_arguments(spec, argv)
    try:
        config = load_config(arguments.config, require_database=spec.require_database)
    except ConfigError as error:
        log.critical("configuration: %s", error)
        return 2

    # The package prints its Redis configuration, password included.
    redact_standard_streams([config.redis_config.get("password", ""), config.db_config.get("password", "")])
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, force=True)  # onto the redacting stream
    # The package calls TeraServer with verify=False (upstream); one warning per request would drown the logs.
    warnings.simplefilter("ignore", InsecureRequestWarning)
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

    service = spec.create_service(config, service_info)
    frontend = arguments.frontend.resolve() if arguments.frontend is not None else None
    app = create_app(
        service, version=spec.version, description=spec.description, namespaces=spec.namespaces, frontend_dir=frontend
    )

    # Backstop for the on-demand check: notice rotated keys even when no request came in.
    task.LoopingCall(service.check_keys_periodically).start(KEY_CHECK_INTERVAL_SECONDS, now=False)

    resource = WSGIResource(reactor, reactor.getThreadPool(), ScriptNameFromProxy(app))
    reactor.listenTCP(int(config.service_config["port"]), Site(resource))
    log.info("%s %s listening on port %s", service_key, service.service_uuid, config.service_config["port"])
    reactor.run()
    return 0
