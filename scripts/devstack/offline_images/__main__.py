"""`python -m devstack.offline_images`: the command without the devstack CLI."""

from __future__ import annotations

import argparse
import sys

from devstack.offline_images import register

if __name__ == "__main__":
    # Standalone use (PYTHONPATH=scripts python3 -m devstack.offline_images ...), without the devstack CLI.
    _parser = argparse.ArgumentParser(prog="devstack")
    register(_parser.add_subparsers(dest="command", required=True))
    _args = _parser.parse_args(["offline-images", *sys.argv[1:]])
    sys.exit(_args.func(_args))
