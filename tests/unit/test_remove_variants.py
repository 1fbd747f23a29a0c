"""`devstack remove` takes a service's debug variant with it, when the generated compose wiring defines one."""

from __future__ import annotations

from pathlib import Path

from devstack import render
from devstack.remove import debug_variants


def write_wiring(root: Path, text: str) -> None:
    path = root / render.SERVICES_COMPOSE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_debug_variant_defined_in_the_wiring_is_named(tmp_path: Path) -> None:
    write_wiring(tmp_path, "services:\n  notes: {}\n  notes-debug: {}\n")
    assert debug_variants(tmp_path, "notes") == ["notes-debug"]


def test_a_service_without_a_debug_variant_gets_none(tmp_path: Path) -> None:
    write_wiring(tmp_path, "services:\n  notes: {}\n  other-debug: {}\n")
    assert debug_variants(tmp_path, "notes") == []


def test_a_missing_or_broken_wiring_file_is_not_an_error_here(tmp_path: Path) -> None:
    assert debug_variants(tmp_path, "notes") == []
    write_wiring(tmp_path, "services: [unclosed\n")
    assert debug_variants(tmp_path, "notes") == []
