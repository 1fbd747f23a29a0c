from types import SimpleNamespace

from teraserver.api.user.services import shown_services


def _service(key: str, editable: bool) -> SimpleNamespace:
    return SimpleNamespace(service_key=key, service_editable_config=editable)


def test_never_shows_opentera_server_and_honours_with_config() -> None:
    services = [_service("OpenTeraServer", True), _service("LoggingService", False), _service("VideoRehab", True)]
    assert [s.service_key for s in shown_services(services, with_config=False)] == ["LoggingService", "VideoRehab"]
    assert [s.service_key for s in shown_services(services, with_config=True)] == ["VideoRehab"]
