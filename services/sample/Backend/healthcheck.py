"""Container health check: the kit's (`service_kit.healthcheck`), under the name the generated Compose wiring
and the Dockerfile's HEALTHCHECK run (`python healthcheck.py PATH`), which services made before the kit share."""

from __future__ import annotations

import sys

from service_kit.healthcheck import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
