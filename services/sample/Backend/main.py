"""Entry point of this OpenTera service: `python main.py [--config FILE]`.

Everything generic (configuration with passwords overlaid, registration read from Redis, token keys re-read
after a TeraServer restart, the Flask app on Twisted behind NGINX's prefix, Swagger, /api/version, /api/me) comes
from the service kit (`service_kit`, services/kit/ in the DevStack). What is this service's own is named here:
its version, its database, its ServiceOpenTera subclass and its API namespaces.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from service_kit.runner import ServiceSpec, run

from api import NAMESPACES
from db import NotesDatabase
from service import Service

SERVICE_VERSION = "1.0.0"
# As in service.yaml; the kit itself reads the key from the configuration `devstack render` generates.
SERVICE_KEY = "SampleService"
DESCRIPTION = f"OpenTera service {SERVICE_KEY}: who you are, your projects, notes about participants."
FRONTEND = Path(__file__).resolve().parent.parent / "Frontend"


def create_service(config: Any, service_info: dict[str, Any]) -> Service:
    """The service object, once the kit has read the configuration and this service's registration."""
    notes = NotesDatabase(config.db_config)
    notes.create_schema()
    return Service(config, service_info, notes)


SPEC = ServiceSpec(
    description=DESCRIPTION,
    version=SERVICE_VERSION,
    create_service=create_service,
    namespaces=NAMESPACES,
    frontend_dir=FRONTEND,
)


if __name__ == "__main__":
    sys.exit(run(SPEC, sys.argv[1:]))
