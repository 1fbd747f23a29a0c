"""Long-lived objects are frozen out of the garbage collector's walks, in the main process and in each worker."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from teraserver import __main__ as entry


class LongLived:
    pass


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def tracked(obj: object) -> bool:
    return any(candidate is obj for candidate in gc.get_objects())


def test_freezing_takes_objects_alive_now_out_of_the_collectors_walks() -> None:
    before = LongLived()
    entry.freeze_long_lived_objects()
    after = LongLived()

    assert gc.get_freeze_count() > 0
    assert not tracked(before), "an object alive at the freeze must not be walked any more"
    assert tracked(after), "objects made later must still be collected"


def test_a_worker_freezes_its_app_once_built(monkeypatch: pytest.MonkeyPatch) -> None:
    import teraserver.app

    built = {}

    def fake_create_app(settings: object) -> object:
        built["app"] = LongLived()
        return built["app"]

    monkeypatch.setattr(teraserver.app, "create_app", fake_create_app)
    app = entry.load_application("teraserver.app:create_app", settings=object())  # type: ignore[arg-type]

    assert app is built["app"]
    assert not tracked(app), "the worker's app must be frozen once built"
