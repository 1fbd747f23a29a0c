"""Every option combination of the `devstack new` template, rendered and linted (issue 18, "Proof").

Each combination of frontend / no frontend, default / custom prefix, default / custom port and a name (a normal
key, the longest valid key with digits and accents in its display name, the key that is only "Service", a
one-letter lower-case key) is planned as `devstack new` plans it (its own argument parser, `new.plan_manifest`),
rendered with `new.render_service_files` and the derived files of `devstack render` into a folder of its own, laid
out as in a checkout (`services/<folder>/`), and checked the way its author's CI would: ruff with the rendered
service's own pyproject.toml, the repository's hadolint and yamllint settings, Python that compiles, a compose
file whose watch paths exist, a Dockerfile that copies only what its build context holds, shipped tests that
pytest collects, and a manifest valid against services/service.schema.json.

Nothing here lists the template's files: whatever the template renders is what gets checked. Each linter runs
once over every combination (the checks are fast), and each combination's verdict is a test id of its own.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from devstack import cli, manifest, naming, new, ports, render
from devstack.errors import CommandError

ROOT = Path(__file__).resolve().parents[2]
TOOL_TIMEOUT_SECONDS = 300
CUSTOM_PORT = ports.MAX_PORT


@dataclass(frozen=True)
class Name:
    """A service name `devstack new` accepts: its key, display name (None: derived from the key) and the custom
    prefix used with it."""

    label: str
    key: str
    display_name: str | None
    custom_prefix: str


LONG_KEY = "rehab2GaitAndBalanceTelemetry4Clinic2026"  # lower-case start, digits, no "Service" suffix
LONG_PREFIX = "/clinic-2026/rehab_v2.0~gait/balance.and.telemetry-lab_4~2026xyz"
NAMES = (
    Name("normal", "WeatherService", None, "/tools/weather.v2"),
    Name("longest", LONG_KEY, "Télémétrie — marche & équilibre n°4 (Clinique 2026, Québec)", LONG_PREFIX),
    Name("only_suffix", "Service", None, "/svc/all-services"),
    Name("one_letter", "x", "x", "/x~1/y_2"),
)


@dataclass(frozen=True)
class Combination:
    name: Name
    frontend: bool
    custom_prefix: bool
    custom_port: bool

    @property
    def id(self) -> str:
        return "-".join(
            (
                self.name.label,
                "frontend" if self.frontend else "no_frontend",
                "custom_prefix" if self.custom_prefix else "default_prefix",
                "custom_port" if self.custom_port else "default_port",
            )
        )

    def command_line(self) -> list[str]:
        """The `devstack new` command line of this combination."""
        arguments = ["new", self.name.key]
        if self.custom_prefix:
            arguments += ["--prefix", self.name.custom_prefix]
        if self.custom_port:
            arguments += ["--port", str(CUSTOM_PORT)]
        if self.name.display_name is not None:
            arguments += ["--display-name", self.name.display_name]
        if not self.frontend:
            arguments.append("--no-frontend")
        return arguments


COMBINATIONS = [
    Combination(name, frontend, custom_prefix, custom_port)
    for name in NAMES
    for frontend in (True, False)
    for custom_prefix in (False, True)
    for custom_port in (False, True)
]


def combination_params() -> list[Any]:
    return [pytest.param(combination, id=combination.id) for combination in COMBINATIONS]


def assert_clean(check: str, combination: Combination, found: list[str]) -> None:
    """No finding at all for this combination."""
    assert found == [], f"{check} on {combination.id}: {found}"


def test_the_combinations_reach_the_limits_of_the_naming_rules() -> None:
    longest = next(name for name in NAMES if name.label == "longest")
    assert len(longest.key) == naming.KEY_MAX_LENGTH
    assert len(longest.custom_prefix) == naming.PREFIX_MAX_LENGTH
    assert len(COMBINATIONS) == len({combination.id for combination in COMBINATIONS}) == 2 * 2 * 2 * len(NAMES)


# --- rendering -------------------------------------------------------------------------------------------------
@dataclass
class Rendered:
    """One combination rendered into `root` (a checkout's layout: `root/services/<folder>/...`)."""

    combination: Combination
    root: Path
    service: manifest.Manifest
    written: list[str]  # paths relative to root

    @property
    def folder(self) -> Path:
        return self.root / manifest.SERVICES_DIR / self.service.folder

    def service_files(self, pattern: str) -> list[Path]:
        return sorted(path for path in self.folder.rglob(pattern) if path.is_file())


def plan(combination: Combination, existing: list[manifest.Manifest]) -> manifest.Manifest:
    """The manifest `devstack new` plans for this command line, parsed by the command's own parser."""
    args = cli.build_parser().parse_args(combination.command_line())
    return new.plan_manifest(args, existing)


def render_into(root: Path, combination: Combination, existing: list[manifest.Manifest]) -> Rendered:
    service = plan(combination, existing)
    files = new.render_service_files(ROOT, service)
    derived = render.render_files(ROOT, [*existing, service], pending_paths=set(files))
    # The new service's files and what `devstack render` derives for it (its config, the compose wiring).
    own = f"{manifest.SERVICES_DIR}/{service.folder}/"
    wanted = {**files, **{item.path: item.text for item in derived if item.path.startswith(own)}}
    wanted.update({item.path: item.text for item in derived if item.path == render.SERVICES_COMPOSE})
    for relative, text in wanted.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Rendered(combination, root, service, sorted(wanted))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    base = tmp_path_factory.mktemp("combinations")
    existing = manifest.load_all(ROOT)
    return {combination.id: render_into(base / combination.id, combination, existing) for combination in COMBINATIONS}


# --- tools, each run once over every combination -----------------------------------------------------------------
def tool(name: str) -> str:
    """A linter of the `test` extra: next to this interpreter (a virtualenv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: install the test tools (pip install -e '.[test]')", pytrace=False)
    return found


def run(command: list[str], cwd: Path, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS, check=False
    )


class Findings:
    """Each linter's complaints, per combination id (the first folder of a path below the combinations' base)."""

    def __init__(self, combinations: dict[str, Rendered]) -> None:
        self.combinations = combinations
        self.base = next(iter(combinations.values())).root.parent

    def relative(self, path: str) -> Path:
        return Path(path).resolve().relative_to(self.base.resolve())

    def by_owner(self, lines: list[tuple[str, str]]) -> dict[str, list[str]]:
        """(path, finding) pairs -> findings per combination, each finding starting with its path below the base."""
        grouped: dict[str, list[str]] = {}
        for path, finding in lines:
            relative = self.relative(path)
            grouped.setdefault(relative.parts[0], []).append(finding.replace(path, relative.as_posix(), 1))
        return grouped

    def folders(self) -> list[str]:
        return [str(item.folder) for item in self.combinations.values()]

    def ruff(self, *arguments: str) -> dict[str, list[str]]:
        # Each file gets the settings of its closest pyproject.toml: the rendered service's own.
        command = [tool("ruff"), *arguments, "--no-cache", "--output-format", "json", *self.folders()]
        result = run(command, self.base)
        assert result.returncode in (0, 1), result.stderr[-3000:]
        return self.by_owner(
            [
                (item["filename"], f"{item['filename']}:{item['location']['row']}: {item['code']} {item['message']}")
                for item in json.loads(result.stdout)
            ]
        )

    @cached_property
    def ruff_check(self) -> dict[str, list[str]]:
        return self.ruff("check")

    @cached_property
    def ruff_format(self) -> dict[str, list[str]]:
        return self.ruff("format", "--check")

    @cached_property
    def hadolint(self) -> dict[str, list[str]]:
        dockerfiles = [str(path) for item in self.combinations.values() for path in item.service_files("Dockerfile")]
        command = [tool("hadolint"), "--config", str(ROOT / ".hadolint.yaml"), "--format", "json", *dockerfiles]
        result = run(command, self.base)
        assert result.stdout.strip().startswith("["), result.stdout[-2000:] + result.stderr[-2000:]
        return self.by_owner(
            [
                (item["file"], f"{item['file']}:{item['line']}: {item['code']} {item['message']}")
                for item in json.loads(result.stdout)
            ]
        )

    @cached_property
    def yamllint(self) -> dict[str, list[str]]:
        files = [
            str(path)
            for item in self.combinations.values()
            for path in [*item.service_files("*.yaml"), *item.service_files("*.yml")]
        ]
        command = [tool("yamllint"), "--strict", "-c", str(ROOT / ".yamllint.yaml"), "-f", "parsable", *files]
        result = run(command, self.base)
        assert result.returncode in (0, 1, 2), result.stderr[-3000:]
        return self.by_owner([(line.split(":", 1)[0], line) for line in result.stdout.splitlines() if line.strip()])

    @cached_property
    def collected(self) -> dict[str, tuple[list[str], list[str]]]:
        """Per combination: the test ids pytest collects from the service's tests/, and its collection errors.
        One session for all: --import-mode=importlib, since every service's module is tests/test_service.py."""
        test_folders = [str(item.folder / "tests") for item in self.combinations.values()]
        environment = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
        command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        command += ["--import-mode=importlib", "--continue-on-collection-errors", "--rootdir", str(self.base)]
        result = run([*command, *test_folders], self.base, environment)
        output = result.stdout + result.stderr
        verdicts: dict[str, tuple[list[str], list[str]]] = {key: ([], []) for key in self.combinations}
        for line in output.splitlines():
            match = re.search(r"ERROR collecting (\S+)", line) or re.search(r"^ERROR (\S+)", line)
            if match and match.group(1).split("/")[0] in verdicts:
                verdicts[match.group(1).split("/")[0]][1].append(line)
            elif "::" in line and line.split("/")[0] in verdicts:
                verdicts[line.split("/")[0]][0].append(line)
        if not any(items for items, _ in verdicts.values()):
            pytest.fail(f"pytest collected nothing:\n{output[-4000:]}", pytrace=False)
        return verdicts


@pytest.fixture(scope="module")
def findings(rendered: dict[str, Rendered]) -> Findings:
    return Findings(rendered)


# --- the checks, one test id per combination -------------------------------------------------------------------
@pytest.mark.parametrize("combination", combination_params())
def test_python_files_compile(rendered: dict[str, Rendered], combination: Combination) -> None:
    item = rendered[combination.id]
    sources = item.service_files("*.py")
    assert sources, "the service has no Python file"
    for path in sources:
        compile(path.read_text(encoding="utf-8"), str(path.relative_to(item.root)), "exec")


@pytest.mark.parametrize("combination", combination_params())
def test_ruff_check_passes_with_the_services_own_settings(
    rendered: dict[str, Rendered], findings: Findings, combination: Combination
) -> None:
    item = rendered[combination.id]
    settings = (item.folder / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^\[tool\.ruff\]", settings, re.M), "the service's pyproject.toml has no [tool.ruff]"
    assert_clean("ruff_check", combination, findings.ruff_check.get(combination.id, []))


@pytest.mark.parametrize("combination", combination_params())
def test_ruff_format_leaves_the_python_unchanged(findings: Findings, combination: Combination) -> None:
    assert_clean("ruff_format", combination, findings.ruff_format.get(combination.id, []))


@pytest.mark.parametrize("combination", combination_params())
def test_hadolint_passes_with_the_repositorys_settings(findings: Findings, combination: Combination) -> None:
    assert_clean("hadolint", combination, findings.hadolint.get(combination.id, []))


@pytest.mark.parametrize("combination", combination_params())
def test_yamllint_strict_passes_with_the_repositorys_settings(findings: Findings, combination: Combination) -> None:
    assert_clean("yamllint", combination, findings.yamllint.get(combination.id, []))


def checkout_path(item: Rendered, path: Path) -> Path:
    """`path` in the rendered tree when it lies in the new service's folder, else in the repository: what the
    service does not own (the top-level compose file, services/kit/...) is the checkout's, not rendered here."""
    relative = Path(os.path.normpath(path)).relative_to(item.root)
    own = Path(manifest.SERVICES_DIR) / item.service.folder
    return item.root / relative if relative.is_relative_to(own) else ROOT / relative


def watch_rules(compose_file: Path, service: str) -> list[dict[str, Any]]:
    """The `develop.watch` rules of `service` in `compose_file`, following `extends` into the file it names."""
    data = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), f"{compose_file.name}: {data!r}"
    assert service in data["services"], f"{compose_file.name} has no service {service}"
    definition = data["services"][service] or {}
    rules = [{**rule, "base": compose_file.parent} for rule in (definition.get("develop") or {}).get("watch", [])]
    extended = definition.get("extends")
    if extended is not None:
        target = compose_file.parent / extended["file"] if "file" in extended else compose_file
        rules += watch_rules(target, extended["service"])
    return rules


@pytest.mark.parametrize("combination", combination_params())
def test_compose_files_parse_and_watch_paths_that_exist(
    rendered: dict[str, Rendered], combination: Combination
) -> None:
    """The service as Compose sees it: the generated wiring (services/services.compose.yaml) and the author's
    compose file it extends, each parsed as YAML; every watch path exists in the rendered service."""
    item = rendered[combination.id]
    rules = watch_rules(item.root / render.SERVICES_COMPOSE, item.service.folder)
    assert rules, "no develop.watch rule: `docker compose watch` would do nothing"
    missing = [rule["path"] for rule in rules if not checkout_path(item, rule["base"] / rule["path"]).exists()]
    assert missing == [], f"watch paths that do not exist: {missing}"


def dockerfile_instructions(text: str) -> Iterator[tuple[str, str]]:
    """(instruction, the rest of it) of each instruction, continuation lines joined, comments left out."""
    logical = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        logical += line
        if logical.endswith("\\"):
            logical = logical[:-1] + " "
            continue
        if logical.strip():
            instruction, _, rest = logical.strip().partition(" ")
            yield instruction.upper(), rest.strip()
        logical = ""


def dockerignore_patterns(folder: Path) -> list[str]:
    path = folder / ".dockerignore"
    if not path.is_file():
        return []
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line.rstrip("/") for line in lines if line and not line.startswith(("#", "!"))]


@pytest.mark.parametrize("combination", combination_params())
def test_dockerfile_copies_only_what_its_build_context_has(
    rendered: dict[str, Rendered], combination: Combination
) -> None:
    item = rendered[combination.id]
    wiring = yaml.safe_load((item.root / render.SERVICES_COMPOSE).read_text(encoding="utf-8"))["services"]
    build = wiring[item.service.folder]["build"]
    context = (item.root / manifest.SERVICES_DIR / build["context"]).resolve()
    dockerfile = context / build.get("dockerfile", "Dockerfile")
    assert dockerfile.is_file(), f"no {dockerfile.name} in the build context {build['context']}"
    ignored = dockerignore_patterns(context)
    copied = 0
    for instruction, rest in dockerfile_instructions(dockerfile.read_text(encoding="utf-8")):
        if instruction not in {"COPY", "ADD"}:
            continue
        words = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
        flags = [word for word in words if word.startswith("--")]
        if any(flag.startswith("--from=") for flag in flags):
            continue  # another stage or an additional build context: the live build proves those
        sources = [word for word in words if not word.startswith("--")][:-1]
        for source in sources:
            copied += 1
            assert list(context.glob(source)), f"{instruction} {source}: not in the build context {context.name}/"
            hidden = [pattern for pattern in ignored if fnmatch.fnmatch(source, pattern)]
            assert hidden == [], f"{instruction} {source}: excluded by .dockerignore ({hidden})"
    assert copied, "the Dockerfile copies nothing from its build context"


@pytest.mark.parametrize("combination", combination_params())
def test_shipped_tests_are_collected_by_pytest(
    rendered: dict[str, Rendered], findings: Findings, combination: Combination
) -> None:
    assert (rendered[combination.id].folder / "tests").is_dir(), "the service ships no tests/"
    items, errors = findings.collected[combination.id]
    assert errors == []
    assert items, "pytest collected no test from the service's tests/"


@pytest.fixture(scope="module")
def schema_validator() -> Any:
    return jsonschema_rs.validator_for(json.loads((ROOT / manifest.SCHEMA_PATH).read_text(encoding="utf-8")))


@pytest.mark.parametrize("combination", combination_params())
def test_written_manifest_is_valid_and_says_what_was_asked(
    rendered: dict[str, Rendered], schema_validator: Any, combination: Combination
) -> None:
    item = rendered[combination.id]
    path = item.folder / manifest.MANIFEST_NAME
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert schema_validator.is_valid(data), [error.message for error in schema_validator.iter_errors(data)]
    written = manifest.load_manifest(path, item.root)
    assert written == item.service
    name = combination.name
    assert written.key == name.key
    assert written.name == (name.display_name or new.split_words(name.key))
    assert written.prefix == (name.custom_prefix if combination.custom_prefix else f"/{written.folder}")
    if combination.custom_port:
        assert written.port == CUSTOM_PORT
    assert written.frontend is combination.frontend
    assert (item.folder / "Frontend").is_dir() is combination.frontend


# --- keys the naming rules accept that are no usable Python name in the template --------------------------------
# A key is free text to the naming rules: a Python keyword, or the name of something a generated module imports.
# The template never uses the key as a Python name (the class is `Service`, the key a string), so such a key must
# render a service that compiles and lints clean (or be refused with a message naming it).
CLASHING_KEYS = {
    "None": "a Python keyword",
    "class": "a Python keyword",
    "reactor": "the name of Twisted's reactor, which the template imports",
    "Path": "the name of pathlib's Path, which the template imports",
    "json": "the name of the json module, which the template imports",
}


@pytest.fixture(scope="module")
def clashing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered | str]:
    """Per key: the rendered service, or the message `devstack new` refused it with."""
    base = tmp_path_factory.mktemp("clashing")
    existing = manifest.load_all(ROOT)
    outcome: dict[str, Rendered | str] = {}
    for key in CLASHING_KEYS:
        combination = Combination(Name(key, key, None, f"/{key.lower()}"), True, False, False)
        try:
            outcome[key] = render_into(base / combination.id, combination, existing)
        except (naming.InvalidNameError, manifest.ManifestError, CommandError) as error:
            outcome[key] = str(error)
    return outcome


@pytest.fixture(scope="module")
def clashing_findings(clashing: dict[str, Rendered | str]) -> dict[str, list[str]]:
    rendered_keys = {key: item for key, item in clashing.items() if isinstance(item, Rendered)}
    return Findings(rendered_keys).ruff_check if rendered_keys else {}


@pytest.mark.parametrize("key", CLASHING_KEYS)
def test_a_key_that_is_no_usable_python_name_is_refused_or_rendered_clean(
    clashing: dict[str, Rendered | str], clashing_findings: dict[str, list[str]], key: str
) -> None:
    outcome = clashing[key]
    if isinstance(outcome, str):
        assert key in outcome, f"refused without naming the key: {outcome}"
        return
    problems = list(clashing_findings.get(outcome.combination.id, []))
    for path in outcome.service_files("*.py"):
        try:
            compile(path.read_text(encoding="utf-8"), str(path.relative_to(outcome.root)), "exec")
        except SyntaxError as error:
            problems.append(f"{path.relative_to(outcome.root)}: SyntaxError {error.msg}")
    assert problems == [], f"the key {key!r} ({CLASHING_KEYS[key]}) breaks the rendered service"
