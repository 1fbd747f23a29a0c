"""`devstack render`: rebuild every derived file from the manifests, check NGINX, write, reload.

Also the shared last step of `new` and `remove`: files a command is about to add (`pending`) are checked
and written together with the derived files, so an NGINX refusal leaves the tree exactly as it was.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack import live, locking, manifest, nginx, paths, render
from devstack.errors import guarded


@dataclass
class Outcome:
    plan: render.Plan
    checked_in: str | None  # where `nginx -t` ran, None when it did not (skipped, or no Docker and nothing changed)
    reloaded: bool


def apply_checked(
    root: Path,
    manifests: Sequence[manifest.Manifest],
    *,
    pending: Mapping[str, str] | None = None,
    dry_run: bool = False,
    skip_nginx_check: bool = False,
) -> Outcome:
    """Render for `manifests`, check the whole NGINX tree with `nginx -t`, then write `pending` and the derived
    files, and reload NGINX when its files changed."""
    pending = dict(pending or {})
    changes = render.plan(root, manifests, pending_paths=set(pending))
    nginx_changes = changes.touches(render.NGINX_SERVICES_DIR)
    if dry_run:
        return Outcome(changes, None, False)
    checked_in = None
    # The whole tree, not only what changes: a hand-edited services.d file NGINX refuses would take the front
    # door down at the proxy's next start (issue 17). Without NGINX changes, only when Docker is at hand.
    if not skip_nginx_check and (nginx_changes or live.docker_available()):
        checked_in = nginx.check(root, nginx.candidate_services(root, changes.writes, changes.deletions))
    render.apply(root, changes, pending)
    reloaded = nginx.reload(root) if nginx_changes else False
    return Outcome(changes, checked_in, reloaded)


def report(outcome: Outcome) -> None:
    for line in render.describe(outcome.plan):
        print(line)
    if not outcome.plan.changed:
        print("every derived file is up to date")
    if outcome.checked_in:
        print(f"nginx -t passed in {outcome.checked_in}")
    if outcome.reloaded:
        print("NGINX reloaded (graceful: requests in flight finish on the old workers)")
    elif outcome.plan.touches(render.NGINX_SERVICES_DIR):
        print("the proxy is not running: the new locations apply when it starts")


@guarded
def cmd_render(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    if args.dry_run or args.check:
        changes = render.plan(root, manifest.load_all(root))
        for line in render.describe(changes, verb_prefix="would "):
            print(line)
        if not changes.changed:
            print("every derived file is up to date")
        stale = args.check and changes.changed
        if args.check and not args.skip_nginx_check:
            if not live.docker_available():
                print("nginx -t not run: Docker is not available")
            else:
                # The live tree as it is: a broken hand-written file fails the check too.
                print(f"nginx -t passed in {nginx.check(root, nginx.candidate_services(root, {}, []))}")
        if stale:
            count = len(changes.writes) + len(changes.deletions)
            print(
                f"devstack render --check: {count} derived file(s) stale (listed above): run `devstack render` "
                "and commit the result",
                file=sys.stderr,
            )
        return 1 if stale else 0
    with locking.exclusive(root, "render", args.lock_timeout):
        outcome = apply_checked(root, manifest.load_all(root), skip_nginx_check=args.skip_nginx_check)
    report(outcome)
    return 0


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip-nginx-check",
        action="store_true",
        help="write NGINX files without running `nginx -t` first (no Docker at hand; not recommended)",
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=locking.DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help="how long to wait for another devstack command changing this checkout (default: %(default)s)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "render",
        help="rebuild NGINX locations, service configs, database list and compose wiring from the manifests",
        description="Rebuild every file derived from services/*/service.yaml: nginx/services.d/<folder>.conf, "
        "services/<folder>/config/<Key>.json, services/db/databases.list and services/services.compose.yaml (every "
        "service's Compose wiring and debug variant, extending its own services/<folder>/compose.yaml); "
        "and services/service.schema.json, the manifests' JSON Schema. "
        "Only files whose content changes are written. NGINX changes are checked with `nginx -t` (in the running "
        "proxy, or a throwaway container when the stack is down) before they replace the live files, then NGINX "
        "is reloaded gracefully.",
    )
    parser.add_argument("--dry-run", action="store_true", help="list the files that would change; write nothing")
    parser.add_argument("--check", action="store_true", help="like --dry-run, and exit 1 when anything is stale (CI)")
    add_common_options(parser)
    parser.set_defaults(func=cmd_render)
