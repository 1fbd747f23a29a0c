"""Service keys, folders, prefixes and database names: the rules of issue 5, each with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import naming


@pytest.mark.parametrize("key", ["SampleService", "A", "My2ndService", "x" * naming.KEY_MAX_LENGTH])
def test_valid_keys_pass(key: str) -> None:
    assert naming.check_key(key, ["OtherService"]) == key


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("2Service", "starting with a letter"),
        ("My-Service", "letters and digits only"),
        ("My Service", "letters and digits only"),
        ("../etc", "letters and digits only"),
        ("Servicé", "letters and digits only"),
        ("x" * (naming.KEY_MAX_LENGTH + 1), "longer than"),
        ("LoggingService", "upstream"),
        ("videorehabservice", "upstream"),
        ("OpenTeraServer", "upstream"),
        ("Existing", "exists already"),
        ("EXISTING", "differs only in case"),
    ],
)
def test_bad_keys_are_refused_with_the_reason(key: str, reason: str) -> None:
    with pytest.raises(naming.InvalidNameError, match=reason):
        naming.check_key(key, ["Existing"])


@pytest.mark.parametrize(
    ("key", "folder"),
    [("SampleService", "sample"), ("Weather", "weather"), ("Service", "service"), ("MyServiceService", "myservice")],
)
def test_folder_prefix_and_database_derive_from_the_key(key: str, folder: str) -> None:
    assert naming.folder_for_key(key) == folder
    assert naming.prefix_for_folder(folder) == f"/{folder}"
    assert naming.database_for_folder(folder) == f"opentera{folder}"


@pytest.mark.parametrize("folder", naming.RESERVED_FOLDERS)
def test_folders_of_the_stack_itself_are_refused(folder: str) -> None:
    with pytest.raises(naming.InvalidNameError, match="taken by the stack"):
        naming.check_folder(folder)


@pytest.mark.parametrize("prefix", ["/sample", "/my-service", "/a/b", "/x.y~z_1", "/apix", "/docs"])
def test_valid_prefixes_pass(prefix: str) -> None:
    assert naming.check_prefix(prefix, ["/other"]) == prefix


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("", "empty"),
        ("sample", "must start with '/'"),
        ("/", "TeraServer's"),
        ("/sample/", "must not end with '/'"),
        ("/a//b", "empty, '.' or '..'"),
        ("/..", "path traversal"),
        ("/a/../api", "path traversal"),
        ("/./a", "path traversal"),
        ("/my service", "not safe"),
        ("/a%2e", "not safe"),
        ("/a?b", "not safe"),
        ("/Sample", "not safe"),
        ("/a;b", "not safe"),
        ("/api", "shadow /api"),
        ("/api/mine", "shadow /api"),
        ("/doc", "shadow /doc"),
        ("/wss", "shadow /wss"),
        ("/log", "shadow /log"),
        ("/file", "shadow /file"),
        ("/rehab", "shadow /rehab"),
        ("/other", "collides with /other"),
        ("/other/sub", "collides with /other"),
        ("/x" * 40, "longer than"),
    ],
)
def test_bad_prefixes_are_refused_with_the_reason(prefix: str, reason: str) -> None:
    with pytest.raises(naming.InvalidNameError, match=reason.replace("?", r"\?")):
        naming.check_prefix(prefix, ["/other"])


def test_a_prefix_above_an_existing_one_collides_too() -> None:
    with pytest.raises(naming.InvalidNameError, match="collides with /tools/sample"):
        naming.check_prefix("/tools", ["/tools/sample"])


@pytest.mark.parametrize(
    ("database", "reason"),
    [
        ("opentera", "reserved"),
        ("openteralogs", "reserved"),
        ("Upper", "not valid"),
        ("1db", "not valid"),
        ("a-b", "not valid"),
        ("taken", "used by another service"),
    ],
)
def test_bad_databases_are_refused(database: str, reason: str) -> None:
    with pytest.raises(naming.InvalidNameError, match=reason):
        naming.check_database(database, ["taken"])


def test_every_folder_of_the_stack_under_services_is_reserved() -> None:
    """A folder of services/ that is no service (no manifest: the stack's own images, the kit, shell helpers) can
    never be a new service's folder: `devstack new LibService --force` would write into services/lib/."""
    services = Path(__file__).resolve().parents[2] / "services"
    own = [
        folder.name
        for folder in services.iterdir()
        if folder.is_dir() and not (folder / "service.yaml").exists() and not folder.name.startswith(".")
    ]
    assert own, "services/ has the stack's own folders"
    for name in own:
        with pytest.raises(naming.InvalidNameError, match="taken by the stack itself"):
            naming.check_folder(name)
