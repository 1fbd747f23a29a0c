import pytest

from teraserver.waiting import DependencyUnavailable, wait_for


def test_wait_for_retries_then_succeeds(caplog: pytest.LogCaptureFixture) -> None:
    calls = {"n": 0}

    def probe() -> None:
        calls["n"] += 1
        if calls["n"] < 3:
            raise ConnectionError("connection refused")

    wait_for("PostgreSQL at db:5432", probe, attempts=5, sleep=lambda _: None)
    assert calls["n"] == 3
    assert "waiting for PostgreSQL at db:5432 (attempt 2/5): connection refused" in caplog.text


def test_wait_for_gives_up() -> None:
    def probe() -> None:
        raise OSError("no route")

    with pytest.raises(DependencyUnavailable, match="did not answer after 2 attempts"):
        wait_for("Redis at redis:6379", probe, attempts=2, sleep=lambda _: None)
