"""`devstack offline-images`, plan.py: what to build: selection, decisions, .env overrides and fingerprints."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from devstack.offline_images.errors import OfflineImagesError
from devstack.offline_images.plan import (
    Decision,
    base_decision,
    base_fingerprint,
    decide,
    directory_digest,
    env_overrides,
    image_fingerprint,
    plan_builds,
    selected_names,
    unpullable_names,
)

# --- What to build ---------------------------------------------------------------------------------


def test_selection_defaults_to_all_in_build_order_and_keeps_base_first() -> None:
    assert selected_names(None) == ["debian", "postgres", "redis", "nginx", "python"]
    assert selected_names(["python", "debian"]) == ["debian", "python"]


def test_selection_rejects_unknown_names() -> None:
    with pytest.raises(OfflineImagesError, match="--only mysql: unknown image"):
        selected_names(["postgres", "mysql"])


@pytest.mark.parametrize(
    ("present", "rebuild", "build", "reason"),
    [
        (None, False, True, "not present"),
        ("same", False, False, "up to date"),
        ("same", True, True, "--rebuild"),
        ("old", False, True, "its inputs changed"),
        ("", False, True, "present but not built by this command"),
    ],
)
def test_decide(present: str | None, rebuild: bool, build: bool, reason: str) -> None:
    assert decide("redis", present, "same", rebuild) == Decision("redis", build, reason)


def test_plan_skips_existing_up_to_date_images_and_builds_the_rest() -> None:
    plan = plan_builds(
        ["debian", "postgres", "redis", "python"],
        present={"postgres": "p", "redis": None, "python": "old"},
        wanted={"postgres": "p", "redis": "r", "python": "new"},
        rebuild=False,
    )
    assert [(d.name, d.build) for d in plan] == [("postgres", False), ("redis", True), ("python", True)]


def test_plan_rebuild_builds_every_selected_image_and_nothing_else() -> None:
    plan = plan_builds(["nginx"], present={"nginx": "n", "redis": "r"}, wanted={"nginx": "n"}, rebuild=True)
    assert plan == [Decision("nginx", True, "--rebuild")]


def test_missing_base_is_built_for_any_selected_image() -> None:
    decision = base_decision(["postgres"], None, "b", rebuild=False)
    assert decision is not None and decision.build


def test_existing_base_is_left_alone_when_not_selected_even_with_rebuild() -> None:
    assert base_decision(["postgres"], "old", "b", rebuild=True) is None


def test_base_selected_follows_the_usual_rules() -> None:
    assert base_decision(["debian"], "b", "b", rebuild=False) == Decision("debian", False, "up to date")
    assert base_decision(["debian"], "b", "b", rebuild=True) == Decision("debian", True, "--rebuild")
    assert base_decision([], None, "b", rebuild=False) is None


def test_if_unpullable_replaces_only_what_is_neither_present_nor_pullable() -> None:
    asked: list[str] = []

    def available(reference: str) -> bool:
        asked.append(reference)
        return reference in {"redis:7-bookworm", "registry.local/nginx:1"}

    configured = {"REDIS_IMAGE": "redis:7-bookworm", "NGINX_IMAGE": "registry.local/nginx:1", "PYTHON_IMAGE": ""}
    needed = unpullable_names(configured, available, ["postgres", "redis", "nginx", "python"])
    assert needed == ["postgres", "python"]
    # Unset or empty keys fall back to the compose.yaml defaults.
    assert asked == ["postgres:15-bookworm", "redis:7-bookworm", "registry.local/nginx:1", "python:3.11-slim-bookworm"]


def test_if_unpullable_keeps_our_own_images_in_the_plan_without_pulling() -> None:
    def available(reference: str) -> bool:
        raise AssertionError(f"no pull expected for {reference}")

    configured = {"POSTGRES_IMAGE": "opentera-devstack/postgres:15"}
    assert unpullable_names(configured, available, ["postgres"]) == ["postgres"]


def test_env_overrides_name_our_images_and_skip_the_base() -> None:
    assert env_overrides(["debian", "postgres", "redis", "nginx", "python"]) == {
        "POSTGRES_IMAGE": "opentera-devstack/postgres:15",
        "REDIS_IMAGE": "opentera-devstack/redis:7",
        "NGINX_IMAGE": "opentera-devstack/nginx:1.22",
        "PYTHON_IMAGE": "opentera-devstack/python:3.11",
    }
    assert env_overrides(["debian"]) == {}
    assert env_overrides(["redis"]) == {"REDIS_IMAGE": "opentera-devstack/redis:7"}


# --- Fingerprints ----------------------------------------------------------------------------------


def test_directory_digest_follows_content_names_and_executable_bit(tmp_path: Path) -> None:
    script = tmp_path / "entrypoint.sh"
    script.write_text("echo hi\n", encoding="utf-8")
    first = directory_digest(tmp_path)
    assert directory_digest(tmp_path) == first
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    executable = directory_digest(tmp_path)
    assert executable != first
    script.write_text("echo bye\n", encoding="utf-8")
    assert directory_digest(tmp_path) not in (first, executable)


def test_extra_ca_changes_only_the_python_fingerprint() -> None:
    assert image_fingerprint("python", "d", "base", b"ca") != image_fingerprint("python", "d", "base", None)
    assert image_fingerprint("redis", "d", "base", b"ca") == image_fingerprint("redis", "d", "base", None)
    assert image_fingerprint("redis", "d", "base2", None) != image_fingerprint("redis", "d", "base", None)


def test_base_fingerprint_follows_the_mirror() -> None:
    assert base_fingerprint("http://a/debian") != base_fingerprint("http://b/debian")
