"""`devstack remove` takes a service's debug variant with it, when its compose file defines one."""

from __future__ import annotations

from pathlib import Path

from devstack.remove import debug_variants


def test_the_debug_variant_defined_in_the_compose_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  notes: {}\n  notes-debug: {}\n", encoding="utf-8")
    assert debug_variants(tmp_path, "notes") == ["notes-debug"]


def test_an_older_service_without_a_debug_variant_gets_none(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  notes: {}\n", encoding="utf-8")
    assert debug_variants(tmp_path, "notes") == []


def test_a_missing_or_broken_compose_file_is_not_an_error_here(tmp_path: Path) -> None:
    assert debug_variants(tmp_path, "notes") == []
    (tmp_path / "compose.yaml").write_text("services: [unclosed\n", encoding="utf-8")
    assert debug_variants(tmp_path, "notes") == []
