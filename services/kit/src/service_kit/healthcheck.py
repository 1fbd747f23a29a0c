"""Container health check (stdlib only): `python -m service_kit.healthcheck [PATH]` is healthy when
GET http://127.0.0.1:<Service.port><PATH> answers 200.

PATH is the manifest's health_path, passed by the generated Compose wiring (services/services.compose.yaml);
the config file is the one OPENTERA_SERVICE_CONFIG names there. Neither is written in a service's files, so a
changed key or health path in service.yaml applies after `devstack render`, without touching them.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

CONFIG_VARIABLE = "OPENTERA_SERVICE_CONFIG"
DEFAULT_HEALTH_PATH = "/api/version"
TIMEOUT_SECONDS = 2


def health_url(environ: Mapping[str, str], argv: Sequence[str]) -> str:
    """The URL to probe; ValueError/OSError/KeyError when the configuration does not say."""
    config = environ.get(CONFIG_VARIABLE)
    if not config:
        raise ValueError(f"{CONFIG_VARIABLE} is not set (the generated Compose wiring sets it)")
    health_path = argv[0] if argv else DEFAULT_HEALTH_PATH
    port = json.loads(Path(config).read_text(encoding="utf-8"))["Service"]["port"]
    return f"http://127.0.0.1:{port}{health_path}"


def main(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> int:
    try:
        url = health_url(environ, argv)
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return 0 if response.status == 200 else 1
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
