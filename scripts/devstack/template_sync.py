"""Rebuild the `devstack new` template (templates/service/) from the sample service, services/sample/.

The sample is the reference service; the template is the sample with its names turned into Jinja2
variables, so `devstack new` gives a new service exactly the sample's structure and mechanisms. Run this
after changing the sample, then check with the unit test that renders the template for the sample's own
manifest and expects the sample's files byte for byte:

    python -m devstack.template_sync && pytest tests/unit/test_new_template.py
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from devstack import paths

SAMPLE_FOLDER = "services/sample"
TEMPLATE_DIR = "scripts/devstack/templates/service"
TEMPLATE_SUFFIX = ".j2"
KEY_IN_PATH = "__key__"
# Not part of the template: generated (config/), written by `new` itself (service.yaml, the template record),
# or local caches.
SKIPPED = (
    "config",
    "service.yaml",
    ".devstack-template.json",
    ".ruff_cache",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
)

# Sample value -> template variable, most specific first (the key contains the folder name).
_SUBSTITUTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"SampleService"), "{{ key }}"),
    (re.compile(r"openterasample"), "{{ database }}"),
    (re.compile(r"Sample Service"), "{{ name }}"),
    (re.compile(r"\b5020\b"), "{{ port }}"),
    # The URL prefix, not a path ending in /sample (nginx/services.d/sample.conf keeps the folder name) nor the
    # image name `${COMPOSE_PROJECT_NAME}/sample:dev`.
    (re.compile(r"(?<![A-Za-z_.}-])/sample(?![\w.-])"), "{{ prefix }}"),
    (re.compile(r"Sample"), "{{ stem }}"),
    (re.compile(r"sample"), "{{ folder }}"),
)
# Jinja2's own delimiters appearing in a file are kept as literals.
_LITERALS = {"{{": "{{ '{{' }}", "{%": "{{ '{%' }}", "{#": "{{ '{#' }}"}
_LITERAL = re.compile("|".join(re.escape(token) for token in _LITERALS))


def to_template(text: str) -> str:
    # Escape first, with placeholders that no substitution can touch, then substitute, then restore.
    marks = {token: f"\x00{index}\x00" for index, token in enumerate(_LITERALS)}
    text = _LITERAL.sub(lambda match: marks[match.group(0)], text)
    for pattern, variable in _SUBSTITUTIONS:
        text = pattern.sub(variable, text)
    for token, mark in marks.items():
        text = text.replace(mark, _LITERALS[token])
    return text


def wrap_frontend_lines(relative: str, text: str) -> str:
    """Make the Frontend optional (`new --no-frontend`): the Dockerfile's COPY and compose's watch entry."""
    lines = text.splitlines(keepends=True)
    if relative == "Dockerfile":
        return "".join(
            f"{{% if frontend %}}\n{line}{{% endif %}}\n" if line.startswith("COPY Frontend") else line
            for line in lines
        )
    if relative == "compose.yaml":
        for index, line in enumerate(lines):
            if line.strip() == "path: ./Frontend":
                start = index - 1 if "- action:" in lines[index - 1] else index
                end = index + 1 if index + 1 < len(lines) and "target:" in lines[index + 1] else index
                lines.insert(end + 1, "{% endif %}\n")
                lines.insert(start, "{% if frontend %}\n")
                break
    return "".join(lines)


def sample_files(sample: Path) -> list[Path]:
    return sorted(
        path
        for path in sample.rglob("*")
        if path.is_file() and not any(part in SKIPPED for part in path.relative_to(sample).parts)
    )


def sync(root: Path) -> list[str]:
    sample = root / SAMPLE_FOLDER
    target = root / TEMPLATE_DIR
    if target.exists():
        shutil.rmtree(target)
    written = []
    for source in sample_files(sample):
        relative = source.relative_to(sample).as_posix()
        text = wrap_frontend_lines(relative, to_template(source.read_text(encoding="utf-8")))
        destination = target / (relative.replace("SampleService", KEY_IN_PATH) + TEMPLATE_SUFFIX)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
        written.append(destination.relative_to(root).as_posix())
    return written


def main() -> int:
    for path in sync(paths.repo_root()):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
