"""The OpenTera service kit: the plumbing every service of the DevStack shares (see the kit's README.md).

Modules, from the bottom up: `secret_files` (a variable or its *_FILE), `config` (the service's JSON config with
passwords overlaid), `redaction` (passwords out of the logs), `registry` (`service.<key>` and the token keys in
Redis), `service` (KitService: a ServiceOpenTera that survives TeraServer restarts), `access` (what TeraServer lets
a user and this service see), `auth` (401 before the package's 403), `web` (the Flask app behind NGINX's prefix,
Swagger, /api/version and /api/me), `runner` (start-up on Twisted), `healthcheck` (the container's health check).
Importing this package imports nothing else: the health check stays cheap.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "opentera-service-kit"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
