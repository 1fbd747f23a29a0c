"""Container health check (stdlib only): `python healthcheck.py [PATH]` is healthy when
GET http://127.0.0.1:<Service.port><PATH> answers 200.

PATH is the manifest's health_path, passed by the generated Compose wiring (services/services.compose.yaml);
the config file is the one OPENTERA_SERVICE_CONFIG names there. Neither is written here, so a changed key or
health path in service.yaml applies after `devstack render`, without touching this file.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

CONFIG_VARIABLE = "OPENTERA_SERVICE_CONFIG"
DEFAULT_HEALTH_PATH = "/api/version"


def main(argv: list[str]) -> int:
    config = os.environ.get(CONFIG_VARIABLE)
    if not config:
        print(f"unhealthy: {CONFIG_VARIABLE} is not set (the generated Compose wiring sets it)", file=sys.stderr)
        return 1
    health_path = argv[0] if argv else DEFAULT_HEALTH_PATH
    try:
        port = json.loads(Path(config).read_text(encoding="utf-8"))["Service"]["port"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{health_path}", timeout=2) as response:
            return 0 if response.status == 200 else 1
    except (OSError, ValueError, KeyError) as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
