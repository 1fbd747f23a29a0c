"""Session types serialize with upstream 1.3.0's fields (teraserver.session_type_json), not the package's 1.3.1 ones."""

from __future__ import annotations

import opentera.db.models  # noqa: F401  (registers every model)
import pytest
import sqlalchemy as sa
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSessionType import TeraSessionType

from teraserver import session_type_json
from teraserver.database import install_fast_to_json
from teraserver.instances import transient

sa.orm.configure_mappers()

COLUMNS = {
    "id_session_type",
    "id_service",
    "session_type_name",
    "session_type_online",
    "session_type_config",
    "session_type_color",
    "session_type_category",
}
MINIMAL = COLUMNS - {"session_type_online", "session_type_config"}
SERVICE_FIELDS = {"session_type_service_key", "session_type_service_uuid"}


@pytest.fixture(autouse=True)
def installed() -> None:
    install_fast_to_json()
    session_type_json.install()


def session_type(with_service: bool) -> TeraSessionType:
    service = transient(
        TeraService,
        {"service_key": "VideoRehabService", "service_uuid": "uuid-1", "service_has_assets": True},
    )
    secondary = transient(TeraService, {"service_key": "Other", "service_uuid": "uuid-2"})
    return transient(
        TeraSessionType,
        {
            "id_session_type": 1,
            "id_service": 6 if with_service else None,
            "session_type_name": "Video",
            "session_type_online": True,
            "session_type_config": "",
            "session_type_color": "#00FF00",
            "session_type_category": 1,
            "session_type_service": service if with_service else None,
            "session_type_secondary_services": [secondary],
        },
    )


def test_full_form_adds_the_owner_service_key_and_uuid_only() -> None:
    data = session_type(with_service=True).to_json()
    assert set(data) == COLUMNS | SERVICE_FIELDS
    assert data["session_type_service_key"] == "VideoRehabService" and data["session_type_service_uuid"] == "uuid-1"
    assert set(session_type(with_service=False).to_json()) == COLUMNS


def test_minimal_form_says_nothing_of_the_service() -> None:
    assert set(session_type(with_service=True).to_json(minimal=True)) == MINIMAL
    assert set(session_type(with_service=True).to_json_create_event()) == MINIMAL


def test_callers_ignore_fields_still_apply() -> None:
    assert "session_type_color" not in session_type(with_service=True).to_json(ignore_fields=["session_type_color"])
