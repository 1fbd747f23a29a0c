"""`python -m teraserver.healthcheck`: exit 0 when GET http://127.0.0.1:$TERASERVER_PORT/health answers 200
and the websocket process accepts connections on $TERASERVER_WEBSOCKET_PORT.

Standard library only, so the compose healthcheck costs no imports of Flask/SQLAlchemy.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("TERASERVER_PORT", "4040").strip() or "4040"
    url = f"http://127.0.0.1:{port}/health"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status != 200:
                return 1
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    websocket_port = os.environ.get("TERASERVER_WEBSOCKET_PORT", "4044").strip() or "4044"
    try:
        socket.create_connection(("127.0.0.1", int(websocket_port)), timeout=2).close()
    except (OSError, ValueError) as exc:
        print(f"healthcheck: websocket port {websocket_port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
