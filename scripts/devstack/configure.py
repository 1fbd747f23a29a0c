"""`devstack configure`: create or complete .env and check every value (also the first step of `devstack up`)."""

from __future__ import annotations

import argparse
import sys

from devstack import compose, envfile, paths, settings


def configure_checkout(quiet: bool = False) -> dict[str, str]:
    """Create or complete .env, then validate what Compose will see; raise ConfigError on a bad value."""
    root = paths.repo_root()
    env_path = paths.env_file(root)
    created = not env_path.is_file()
    generated = envfile.ensure_env_file(env_path)
    if not quiet:
        if created:
            print(f"created {env_path} from .env.example")
        for name in generated:
            print(f"generated {name} in {env_path}")
    values = envfile.effective_values(env_path)
    settings.validate(values, source=str(env_path))
    for warning in settings.warnings(values):
        print(f"warning: {warning}", file=sys.stderr)
    return values


def cmd_configure(args: argparse.Namespace) -> int:
    values = configure_checkout()
    print(f"configuration is valid; the stack will answer at {compose.front_door_url(values)}/")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "configure",
        help="create .env from .env.example, generate missing passwords, check every value",
        description="Create .env when missing, generate every empty password, and check all values. "
        "Safe to run again: existing values are kept.",
    )
    parser.set_defaults(func=cmd_configure)
