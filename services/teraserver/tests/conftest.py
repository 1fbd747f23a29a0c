"""Make `teraserver` importable from the source tree (host runs) as well as from /app (image runs)."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
