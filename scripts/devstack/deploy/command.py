"""`devstack deploy`: build, render the stack file, create the secrets, `docker stack deploy`, wait healthy.

`devstack deploy --down` removes the stack (volumes kept unless --volumes). `--render-only` and `--check` only
write or compare the stack file (issue 19; docs/deploy.md).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from devstack import compose, envfile, manifest, paths, settings
from devstack.deploy import stack as stack_module
from devstack.deploy import swarm
from devstack.errors import EXIT_ERROR, guarded, report

DEFAULT_TIMEOUT_SECONDS = 600
_STACK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,30}$")


# host[:port][/path], as in an image name (docker's reference grammar, without user info or a scheme).
def project_version(root: Path) -> str:
    """pyproject.toml's version: the tag of the images the stack runs."""
    path = root / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise swarm.SwarmError(f"{path}: cannot read it ({error.strerror or error})") from error
    # The [project] table's `version = "..."` (tomllib is Python 3.11+; we support 3.10).
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    found = re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.MULTILINE) if project else None
    if not found:
        raise swarm.SwarmError(f"{path}: no version in [project]")
    return found.group(1)


def default_stack_name(root: Path) -> str:
    """<compose project>-swarm: never the Compose project's own name, whose volumes (`<name>_db-data`) Swarm
    would otherwise adopt, putting two PostgreSQL servers on one data directory if both ran."""
    return f"{compose.resolve_project(root)}-swarm"


def checked_stack_name(name: str) -> str:
    if not _STACK_NAME.fullmatch(name):
        raise swarm.SwarmRefusal(
            f"--stack {name!r}: use lowercase letters, digits, - and _, at most 31 characters, starting with a letter"
            " or digit (secret names add the stack name to a 64-character limit)"
        )
    return name


def checked_registry(registry: str | None) -> str:
    """--registry's value, checked by the same rule as .env's DEVSTACK_REGISTRY."""
    if not registry:
        return ""
    problem = settings.check_value("DEVSTACK_REGISTRY", registry)
    if problem:
        raise swarm.SwarmRefusal(f"--registry {registry!r} {problem}")
    return registry


def compose_model(root: Path, stack: str) -> dict:
    """`docker compose config` as JSON, includes and extends resolved, no profile enabled; the project name is
    the stack's, so the images Compose builds are tagged <stack>/<service>:dev."""
    try:
        return compose.ComposeProject(root, stack).config()
    except compose.ComposeError as error:
        raise swarm.SwarmError(str(error)) from error


def render(root: Path, stack: str, values: dict[str, str], model: dict | None = None, registry: str = "") -> str:
    """The stack file's text; the images must exist (their commands go into the drain wrapper)."""
    model = compose_model(root, stack) if model is None else model
    version = project_version(root)
    inputs = stack_module.StackInputs(
        root=root,
        model=model,
        manifests=manifest.load_all(root),
        stack=stack,
        version=version,
        image_commands=swarm.image_commands(model, stack, version),
        forbidden={name: values[name] for name in settings.SECRET_NAMES if values.get(name)},
        registry=registry,
    )
    return stack_module.render_stack(inputs)


def _values(root: Path) -> dict[str, str]:
    env_path = paths.env_file(root)
    if not env_path.is_file():
        raise settings.ConfigError(f"{env_path} does not exist: run `devstack configure` first")
    values = envfile.effective_values(env_path)
    settings.validate(values, source=str(env_path))
    return values


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_deploy(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    stack = checked_stack_name(args.stack or default_stack_name(root))
    compose.ensure_docker()
    if args.volumes and not args.down:
        raise swarm.SwarmRefusal("--volumes goes with --down (it deletes the stack's data)")
    if args.down:
        swarm.ensure_manager(init=False, say=_say)
        swarm.remove_stack(stack, volumes=args.volumes, say=_say)
        return 0
    values = _values(root)
    # --registry wins over .env's DEVSTACK_REGISTRY (checked with the other values by _values).
    registry = checked_registry(args.registry) if args.registry else values.get("DEVSTACK_REGISTRY", "")
    if args.check or args.render_only:
        text = render(root, stack, values, registry=registry)
        relative = stack_module.stack_path(stack)
        if args.check:
            if stack_module.is_current(root, stack, text):
                print(f"{relative} is up to date")
                return 0
            print(f"{relative} is stale or missing: run `devstack deploy --stack {stack} --render-only`")
            return 1
        stack_module.write_stack(root, stack, text)
        print(f"wrote {relative}")
        return 0

    state = swarm.ensure_manager(init=args.init, say=_say)
    swarm.ensure_data_node(state, say=_say)
    version = project_version(root)
    model = compose_model(root, stack)
    if not args.no_build:
        _say(f"building the stack's images (docker compose --project-name {stack} build)")
        if compose.ComposeProject(root, stack).stream(["build"]) != 0:
            raise swarm.SwarmError("`docker compose build` failed (its output is above)")
    tags = swarm.tag_images(model, stack, version)
    _say(f"images tagged {version}: {', '.join(tags)}")
    if registry:
        swarm.push_images(swarm.local_images(model, stack, version), registry, say=_say)
    text = render(root, stack, values, model, registry)
    path = stack_module.write_stack(root, stack, text)
    _say(f"wrote {stack_module.stack_path(stack)}")
    wanted = sorted((yaml.safe_load(text).get("secrets") or {}).keys())
    secret_names = swarm.ensure_secrets(stack, wanted, values)
    _say(f"docker stack deploy {stack} ({len(wanted)} secret(s), values never in the file)")
    swarm.deploy_stack(path, stack, secret_names)
    seconds = swarm.wait_healthy(stack, args.timeout, say=_say)
    old = swarm.remove_secrets(stack, keep=list(secret_names.values()))
    if old:
        _say(f"removed {len(old)} secret(s) no task uses any more")
    front = f"https://{values['DEVSTACK_HOSTNAME']}:{values['DEVSTACK_HTTPS_PORT']}"
    print(f"stack {stack} healthy in {seconds:.1f} s")
    print(f"  TeraServer   {front}/   (Swagger UI {front}/doc)   login {settings.admin_login_text(values)}")
    print(f"  CA to trust  {swarm.front_door_ca_command(stack)}")
    print(f"  remove       devstack deploy --stack {stack} --down   (--volumes: delete the data too)")
    return 0


def _guarded_deploy(args: argparse.Namespace) -> int:
    try:
        return cmd_deploy(args)
    except (swarm.SwarmError, stack_module.StackError) as error:
        report(args.command, error)
        # Refused before any change (bad input, no swarm): 2; a step that failed on the way: 1.
        return EXIT_ERROR if isinstance(error, stack_module.StackError | swarm.SwarmRefusal) else 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "deploy",
        help="deploy the stack on Docker Swarm (build, stack file, secrets, wait healthy); --down removes it",
        description="Build and tag the images with the project version, render deploy/<stack>.yaml from "
        "`docker compose config` and the service manifests, create the passwords as Swarm secrets, run "
        "`docker stack deploy` and wait until every service is healthy. The engine must be a swarm manager "
        f"(`{swarm.INIT_COMMAND}`, or --init). Details: docs/deploy.md.",
    )
    parser.add_argument("--stack", help="stack name (default: <compose project>-swarm)")
    parser.add_argument("--down", action="store_true", help="remove the stack and its secrets; volumes are kept")
    parser.add_argument("--volumes", action="store_true", help="with --down: delete the stack's volumes (all data)")
    parser.add_argument("--init", action="store_true", help=f"not in a swarm: run `{swarm.INIT_COMMAND}` first")
    parser.add_argument("--no-build", action="store_true", help="use the images already tagged with the version")
    parser.add_argument(
        "--registry",
        metavar="HOST:PORT",
        help="several nodes: push every image of the stack to this registry and name them there, so each node "
        "pulls them (docs/deploy.md, Several nodes)",
    )
    parser.add_argument("--render-only", action="store_true", help="write the stack file, deploy nothing")
    parser.add_argument("--check", action="store_true", help="exit 1 when the stack file is stale or missing")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, help="seconds to wait for health (default 600)"
    )
    parser.set_defaults(func=guarded(_guarded_deploy))


def main() -> int:  # pragma: no cover - `python -m devstack.deploy.command`
    parser = argparse.ArgumentParser(prog="devstack")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args()
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
