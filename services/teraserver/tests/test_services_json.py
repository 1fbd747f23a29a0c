from types import SimpleNamespace

from teraserver.api.user.services import services_json


def _service(key: str, editable: bool) -> SimpleNamespace:
    return SimpleNamespace(
        service_key=key,
        service_editable_config=editable,
        to_json=lambda minimal=False: {"service_key": key, "minimal": minimal},
    )


def test_never_returns_opentera_server_and_honours_flags() -> None:
    services = [_service("OpenTeraServer", True), _service("LoggingService", False), _service("VideoRehab", True)]
    assert [s["service_key"] for s in services_json(services, minimal=False, with_config=False)] == [
        "LoggingService",
        "VideoRehab",
    ]
    assert services_json(services, minimal=True, with_config=True) == [{"service_key": "VideoRehab", "minimal": True}]
