"""Schema-based fuzzing of /api/service/* with schemathesis: whatever it sends, TeraServer never answers 500.

The operations come from TeraServer's own Swagger document (GET /api/swagger.json), restricted to the service
namespace. Calls carry a valid service token of a service linked to a site and a project, so requests get past
authentication into the handlers. Each operation is tried with a bounded number of examples, valid and invalid.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from test_service_api_support import SERVICE_TOKEN_KEY, build_world, service_token

from devstack.testing.stack import Stack

# Fixtures of the shared helper module (api_stack, its CA).
pytest_plugins = ["test_service_api_support"]

EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def fuzz_target(api_stack: Stack, api_stack_ca: Path) -> dict:
    """Base URL, CA and the headers of an authenticated service (a world of its own)."""
    world = build_world(api_stack)
    redis_key = api_stack.run(
        "exec",
        "-T",
        "redis",
        "redis-cli",
        "--no-auth-warning",
        "-a",
        api_stack.values()["REDIS_PASSWORD"],
        "GET",
        SERVICE_TOKEN_KEY,
    ).stdout.strip()
    return {
        "base_url": api_stack.base_url + "/api",
        "verify": str(api_stack_ca),
        "headers": {"Authorization": f"OpenTera {service_token(redis_key, world.service.uuid)}"},
    }


@pytest.fixture(scope="module")
def service_api_schema(api_stack: Stack, api_stack_ca: Path) -> schemathesis.BaseSchema:
    document = requests.get(api_stack.base_url + "/api/swagger.json", verify=str(api_stack_ca), timeout=15).json()
    document["paths"] = {path: item for path, item in document["paths"].items() if path.startswith("/service/")}
    return schemathesis.openapi.from_dict(document)


def is_rpc_timeout(case: schemathesis.Case, response: object) -> bool:
    """Upstream's own 500 for a session manager request whose service did not answer (contract 3.4)."""
    return (
        case.formatted_path.endswith("/sessions/manager")
        and response.status_code == 500  # type: ignore[attr-defined]
        and response.text.strip() == '"No answer from service."'  # type: ignore[attr-defined]
    )


def test_no_server_error(service_api_schema: schemathesis.BaseSchema, fuzz_target: dict) -> None:
    """Every operation, EXAMPLES_PER_OPERATION requests that fit the document and as many that do not (schemathesis'
    positive and negative modes: wrong types, missing or extra fields...); all 5xx answers are collected.

    (schemathesis' pytest integration does not run on pytest 9, so each operation gets its own hypothesis run.)
    One 500 is upstream's contract, not a crash: /sessions/manager's "No answer from service." when the target
    service does not answer its RPC in time.
    """
    server_errors: list[str] = []
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in service_api_schema.get_all_operations()]
    assert len(operations) == 51  # every method of the 24 resources is in the document

    for operation, mode in itertools.product(operations, schemathesis.GenerationMode):

        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: schemathesis.Case) -> None:
            response = case.call(
                base_url=fuzz_target["base_url"],
                headers=fuzz_target["headers"],
                verify=fuzz_target["verify"],
                timeout=30,
            )
            statuses[response.status_code] += 1
            if response.status_code >= 500 and not is_rpc_timeout(case, response):
                server_errors.append(
                    f"{case.method} {case.formatted_path} query={case.query} body={case.body!r} "
                    f"-> {response.status_code} {response.text[:200]}"
                )

        call()

    counts = dict(sorted(statuses.items()))
    print(f"\nfuzzed {sum(statuses.values())} requests over {len(operations)} operations: {counts}")
    assert statuses[200] > 0  # the token works: some requests reached the handlers and succeeded
    assert server_errors == []
