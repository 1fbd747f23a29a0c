"""Container health check (stdlib only): GET http://127.0.0.1:<Service.port>/api/version answers 200."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "config" / "SampleService.json"
HEALTH_PATH = "/api/version"


def main() -> int:
    port = json.loads(CONFIG.read_text(encoding="utf-8"))["Service"]["port"]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
