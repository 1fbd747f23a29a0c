"""`devstack upgrade NAME | --all`: bring scaffolded services to the current template, keeping their authors' edits.

For every file the template produces, three texts meet (issue 18):
- base: what the template gave the service last time (recorded in services/<folder>/.devstack-template.json),
- yours: the file on disk now,
- template: what the current template gives for the service's current manifest.
A file only you changed stays yours; a file only the template changed is replaced; a file both changed is
merged line by line (`git merge-file`, as `git merge` does). Where both changed the same lines, that file is a
conflict: nothing at all is written (every service of the run, every file), and the conflicting files are
listed; `--conflict-markers` writes them with git's conflict markers for you to resolve instead.

Everything is planned before anything is written, and the writes go through the same all-or-nothing step as
`devstack render`. The service's manifest (service.yaml) is its author's and never touched.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devstack import live, locking, manifest, new, paths, render, template_state
from devstack.errors import CommandError, guarded
from devstack.regenerate import add_common_options, apply_checked
from devstack.regenerate import report as report_render
from devstack.remove import find_service

EXIT_CONFLICTS = 1
MERGE_LABELS = ("yours", "template before", "template now")


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the service folder
    action: str  # "write" (template's text), "merge" (both changes kept), "delete", "conflict"
    text: str | None = None  # what to write; for a conflict, the text with conflict markers (None: keep the file)
    reason: str = ""


@dataclass
class ServicePlan:
    service: manifest.Manifest
    before: template_state.TemplateState
    after: template_state.TemplateState
    changes: list[FileChange] = field(default_factory=list)

    @property
    def conflicts(self) -> list[FileChange]:
        return [change for change in self.changes if change.action == "conflict"]

    def folder(self) -> str:
        return f"{manifest.SERVICES_DIR}/{self.service.folder}"


def merge_three(yours: str, base: str, template: str, shown: str) -> tuple[str, bool]:
    """Line-based three-way merge by `git merge-file`: (merged text, clean?)."""
    git = shutil.which("git")
    if git is None:
        raise CommandError("git is needed for the three-way merge of `devstack upgrade` (apt install git)")
    with tempfile.TemporaryDirectory(prefix="devstack-upgrade-") as workdir:
        names = []
        for name, text in (("yours", yours), ("base", base), ("template", template)):
            path = Path(workdir) / name
            path.write_text(text, encoding="utf-8", newline="\n")
            names.append(str(path))
        labels = [argument for label in MERGE_LABELS for argument in ("-L", label)]
        result = subprocess.run([git, "merge-file", "-p", *labels, *names], capture_output=True, check=False)
    # Exit status: the number of conflicts (at most 127), or a negative number (255 here) on error.
    if result.returncode > 127:
        raise CommandError(f"git merge-file failed on {shown}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode("utf-8"), result.returncode == 0


def read_text(path: Path, shown: str) -> str | None:
    if not path.exists():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{shown}: cannot be read as UTF-8 text ({error})") from error


def plan_files(
    folder: Path, shown_folder: str, base: Mapping[str, str], template: Mapping[str, str]
) -> list[FileChange]:
    """What an upgrade does to each file of the template, old and new."""
    changes: list[FileChange] = []
    for relative in sorted({*base, *template}):
        shown = f"{shown_folder}/{relative}"
        before, now = base.get(relative), template.get(relative)
        yours = read_text(folder / relative, shown)
        if yours == now or before == now:
            continue  # already the template's, or the template did not change it: yours stays
        if yours == before:
            changes.append(FileChange(relative, "write" if now is not None else "delete", now))
        elif now is None:
            changes.append(FileChange(relative, "conflict", None, "the template no longer has it and you changed it"))
        elif yours is None:
            changes.append(FileChange(relative, "conflict", None, "you deleted it and the template changed it"))
        else:
            merged, clean = merge_three(yours, before or "", now, shown)
            if clean:
                changes.append(FileChange(relative, "merge", merged))
            else:
                reason = (
                    "you and the template changed the same lines" if before else "you made it; the template adds it"
                )
                changes.append(FileChange(relative, "conflict", merged, reason))
    return changes


def plan_service(root: Path, service: manifest.Manifest, adopt: bool) -> ServicePlan:
    folder = root / manifest.SERVICES_DIR / service.folder
    shown_folder = f"{manifest.SERVICES_DIR}/{service.folder}"
    shown_state = f"{shown_folder}/{template_state.STATE_NAME}"
    files = new.render_template_files(root, service)
    after = template_state.make(new.template_variables(service), files)
    before = template_state.load(folder, shown_state)
    if before is None and not adopt:
        raise CommandError(
            f"{shown_state} is missing, so the base of the merge is unknown (a service made before "
            f"`devstack upgrade` existed?): `devstack upgrade {service.key} --adopt` records the current template as "
            f"its base and lists the files that differ from it; nothing else is changed"
        )
    if before is not None and adopt:
        raise CommandError(f"{shown_state} exists: --adopt is only for a service without one")
    if before is None:
        differing = [
            relative
            for relative, text in files.items()
            if read_text(folder / relative, f"{shown_folder}/{relative}") != text
        ]
        plan = ServicePlan(service, after, after)
        plan.changes = [
            FileChange(relative, "adopt", None, "differs from the current template") for relative in differing
        ]
        return plan
    return ServicePlan(service, before, after, plan_files(folder, shown_folder, before.files, files))


def describe(plan: ServicePlan, verb_prefix: str) -> list[str]:
    versions = (
        f"template {plan.before.version} ({plan.before.digest}) -> {plan.after.version} ({plan.after.digest})"
        if plan.before.digest != plan.after.digest
        else f"template {plan.after.version} ({plan.after.digest}), unchanged"
    )
    lines = [f"{plan.service.key} (services/{plan.service.folder}/): {versions}"]
    verbs = {"write": "write", "merge": "merge", "delete": "delete", "conflict": "CONFLICT", "adopt": "differs"}
    for change in plan.changes:
        note = {"merge": "your edits kept", "write": "you had not changed it"}.get(change.action, change.reason)
        verb = verbs[change.action] if change.action in ("conflict", "adopt") else verb_prefix + verbs[change.action]
        lines.append(f"  {verb:<14}{change.path}" + (f"   ({note})" if note else ""))
    if not plan.changes and plan.before.digest == plan.after.digest:
        lines.append("  up to date")
    elif not plan.changes:
        lines.append("  no file to change (the template's changes are already in your files)")
    return lines


def writes_of(plans: Sequence[ServicePlan], with_markers: bool) -> tuple[dict[str, str], list[str]]:
    writes: dict[str, str] = {}
    deletions: list[str] = []
    for plan in plans:
        for change in plan.changes:
            target = f"{plan.folder()}/{change.path}"
            if change.action == "delete":
                deletions.append(target)
            elif change.text is not None and (change.action != "conflict" or with_markers):
                writes[target] = change.text
        writes[f"{plan.folder()}/{template_state.STATE_NAME}"] = template_state.dumps(plan.after)
    return writes, deletions


def remove_empty_folders(root: Path, deletions: Sequence[str]) -> None:
    """Folders the deleted files leave empty (e.g. a package the kit now provides), up to the service's folder."""
    for relative in deletions:
        folder = (root / relative).parent
        while folder.name and folder.parent != root / manifest.SERVICES_DIR and folder.is_dir():
            if any(folder.iterdir()):
                break
            folder.rmdir()
            folder = folder.parent


@guarded
def cmd_upgrade(args: argparse.Namespace) -> int:
    if bool(args.name) == bool(args.all):
        raise CommandError("name one service (NAME) or pass --all")
    if args.adopt and args.all:
        raise CommandError("--adopt records one service's base: name the service")
    root = paths.repo_root()
    with locking.exclusive(root, f"upgrade {args.name or '--all'}", args.lock_timeout):
        manifests = manifest.load_all(root)
        targets = manifests if args.all else [find_service(manifests, args.name)]
        if args.all:
            missing = [
                item
                for item in targets
                if not template_state.path_of(root / manifest.SERVICES_DIR / item.folder).is_file()
            ]
            for item in missing:
                print(
                    f"{item.key}: no {template_state.STATE_NAME} (made before `devstack upgrade` existed?): skipped; "
                    f"`devstack upgrade {item.key} --adopt` records one",
                    file=sys.stderr,
                )
            targets = [item for item in targets if item not in missing]
        plans = [plan_service(root, service, args.adopt) for service in targets]
        conflicts = [change for plan in plans for change in plan.conflicts]
        holding = args.dry_run or (conflicts and not args.conflict_markers)
        for plan in plans:
            for line in describe(plan, "would " if holding else ""):
                print(line)
        if args.dry_run:
            print("dry run: nothing written")
            return EXIT_CONFLICTS if conflicts else 0
        if conflicts and not args.conflict_markers:
            print(
                f"{len(conflicts)} conflict(s): nothing was written. Resolve them by hand, or rerun with "
                "--conflict-markers to write the merged files with git's conflict markers (<<<<<<< yours ... "
                ">>>>>>> template now) and resolve those.",
                file=sys.stderr,
            )
            return EXIT_CONFLICTS
        # A service already at the current template needs no write (nor a render and an NGINX check after it).
        plans = [plan for plan in plans if args.adopt or plan.changes or plan.before.digest != plan.after.digest]
        if not plans:
            return 0
        writes, deletions = writes_of(plans, args.conflict_markers)
        render.apply(root, render.Plan(writes=writes, deletions=deletions))
        remove_empty_folders(root, deletions)
        outcome = apply_checked(root, manifest.load_all(root), skip_nginx_check=args.skip_nginx_check)
        if outcome.plan.changed:
            report_render(outcome)
        changed = [plan for plan in plans if plan.changes and not args.adopt]
        if changed and not args.no_start and live.docker_available() and live.is_running(root, "teraserver"):
            for plan in changed:
                if not live.is_running(root, plan.service.folder):
                    continue
                try:
                    live.build_and_start(root, plan.service.folder)
                except BaseException:
                    # The files are upgraded and consistent; only the running container lags (as with `new`).
                    print(
                        f"devstack upgrade: the files of {plan.service.key} are upgraded but its container is not "
                        f"rebuilt: fix what the error says, then `docker compose up -d --build {plan.service.folder}`",
                        file=sys.stderr,
                    )
                    raise
                print(f"{plan.service.folder} rebuilt and healthy")
        if conflicts:
            print(
                "resolve the conflict markers in: "
                + ", ".join(f"{plan.folder()}/{change.path}" for plan in plans for change in plan.conflicts),
                file=sys.stderr,
            )
            return EXIT_CONFLICTS
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "upgrade",
        help="bring scaffolded services to the current template, keeping your edits",
        description="Three-way merge of each file of a service made by `devstack new`: the template's text when "
        "the service was made or last upgraded (services/<folder>/.devstack-template.json), your file, and the "
        "current template's text for the service's manifest. Your edits are kept; files only the template "
        "changed are replaced; where both changed the same lines nothing is written and the files are listed. "
        "A running service is rebuilt and restarted. The generic plumbing comes from the service kit "
        "(services/kit), installed at every build: upgrading is for the service's own template files.",
    )
    parser.add_argument("name", metavar="NAME", nargs="?", help="service key or folder, e.g. WeatherService")
    parser.add_argument("--all", action="store_true", help="every service that has a template record")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    parser.add_argument(
        "--conflict-markers",
        action="store_true",
        help="on conflicts, write every change with git-style conflict markers in the conflicting files",
    )
    parser.add_argument(
        "--adopt",
        action="store_true",
        help="a service without a template record: record the current template as its base (nothing else)",
    )
    parser.add_argument("--no-start", action="store_true", help="do not rebuild a running service")
    add_common_options(parser)
    parser.set_defaults(func=cmd_upgrade)
