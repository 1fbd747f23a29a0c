"""services_direct.plain_selector: which query strings the direct GET /api/service/services path takes on.

Everything it refuses goes to the Flask resource, so a refusal is never wrong; a wrongly accepted spelling would
answer from a value werkzeug reads differently. The comparison with Flask's answers, on the real database, is
tests/integration/test_service_lookup_direct.py.
"""

from __future__ import annotations

import pytest

from teraserver.api.service.services_direct import plain_selector


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("service_key=FileTransferService", ("service_key", "FileTransferService")),
        ("uuid_service=582e1111-ed62-485a-aba2-b020ac6e43b8", ("uuid_service", "582e1111-ed62-485a-aba2-b020ac6e43b8")),
        ("id_service=3", ("id_service", 3)),
        ("id_service=123456789", ("id_service", 123456789)),
    ],
)
def test_one_plainly_written_selector_is_taken(query: str, expected: tuple[str, object]) -> None:
    assert plain_selector(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "",
        "service_key",
        "service_key=",
        "token=abc",
        "with_base_url=true",
        "service_key=A&with_base_url=true",
        "id_service=1&service_key=A",
        "service_key=File%54ransfer",
        "service_key=File+Transfer",
        "service_key=Fil\u00e9",
        "id_service=abc",
        "id_service=-1",
        "id_service=1234567890",
        "id_service=\u0663",
        "Service_key=A",
    ],
)
def test_anything_else_is_left_to_flask(query: str) -> None:
    assert plain_selector(query) is None
