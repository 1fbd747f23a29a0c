"""Schema-based fuzzing of TeraServer's whole OpenAPI document with schemathesis: whatever it sends, TeraServer
never answers 500.

The operations come from TeraServer's own Swagger document (GET /api/swagger.json), restricted to one namespace.
Service calls carry a valid service token of a service linked to a site and a project; user calls carry the
superadmin's token (every user handler is reachable with it). Requests therefore get past authentication into the
handlers. Each operation is tried with a bounded number of examples, valid and invalid. The operations a shared
token cannot be fuzzed with (they revoke or replace it, need a login session, wait on a service, or are rate
limited) get fresh credentials for every request and fewer examples, in runs of their own: together the runs
cover the whole document (`test_every_operation_of_the_document_is_fuzzed`).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from service_world import build_world, new_project, new_site
from test_participant_api import PASSWORD as PARTICIPANT_PASSWORD
from test_participant_api import new_login_participant

from devstack.testing import tokens as kit_tokens
from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack
from devstack.testing.tokens import mint_service_token

# Fixtures of the shared helper module (api_stack, its CA).

pytestmark = pytest.mark.slow


def fuzz_scale() -> float:
    raw = os.environ.get("DEVSTACK_FUZZ_SCALE", "").strip() or "1"
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not 0 < scale < 1000:
        raise pytest.UsageError(f"DEVSTACK_FUZZ_SCALE={raw!r} is not a positive number (1 = the suite's sample)")
    return scale


# Examples per mode and operation. The suite's run is a bounded sample (every operation, both modes); a deeper
# hunt multiplies them all: DEVSTACK_FUZZ_SCALE=5 pytest tests/integration/test_service_api_fuzz.py
SCALE = fuzz_scale()


def examples(count: int) -> int:
    return max(1, round(count * SCALE))


EXAMPLES_PER_OPERATION = examples(10)
# On /api/user: ~56 operations x 2 modes x 6 = ~670 requests.
USER_EXAMPLES_PER_OPERATION = examples(6)
USER_PATHS_NOT_FUZZED = {
    # Their effect would spoil the run: login answers with fresh tokens only, logout and refresh_token revoke
    # the token every later request carries (all would then be 401s, hiding what the handlers do).
    "/user/login",
    "/user/logout",
    "/user/refresh_token",
    # They call a service over Redis RPC and wait for its answer: with no such service every example would
    # wait out the timeout (5 s), and upstream itself answers 500 to some of them ("No answer from service.").
    "/user/forms",
    "/user/sessions/manager",
    # The login steps after a password check need the login session cookie, which a token does not open: every
    # example would be a 401. Their bad input is covered by tests/integration/test_user_login_flows.py.
    "/user/login/2fa",
    "/user/login/setup_2fa",
    "/user/login/change_password",
}


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
        kit_tokens.SERVICE_TOKEN_KEY_VAR,
    ).stdout.strip()
    return {
        "base_url": api_stack.base_url + "/api",
        "verify": str(api_stack_ca),
        "headers": {"Authorization": f"OpenTera {mint_service_token(redis_key, world.service.uuid)}"},
    }


def namespace_schema(stack: Stack, ca: Path, prefix: str) -> schemathesis.BaseSchema:
    document = requests.get(stack.base_url + "/api/swagger.json", verify=str(ca), timeout=15).json()
    document["paths"] = {path: item for path, item in document["paths"].items() if path.startswith(prefix)}
    return schemathesis.openapi.from_dict(document)


@pytest.fixture(scope="module")
def service_api_schema(api_stack: Stack, api_stack_ca: Path) -> schemathesis.BaseSchema:
    return namespace_schema(api_stack, api_stack_ca, "/service/")


@pytest.fixture(scope="module")
def user_api_schema(api_stack: Stack, api_stack_ca: Path) -> schemathesis.BaseSchema:
    return namespace_schema(api_stack, api_stack_ca, "/user/")


@pytest.fixture(scope="module")
def user_fuzz_target(api_stack: Stack, api_stack_ca: Path) -> dict:
    """Base URL, CA and the superadmin's token headers (admin/admin of the stack's default data)."""
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        token = login(front, "admin", "admin")
    return {
        "base_url": api_stack.base_url + "/api",
        "verify": str(api_stack_ca),
        "headers": {"Authorization": f"OpenTera {token}"},
    }


def is_rpc_timeout(case: schemathesis.Case, response: object) -> bool:
    """Upstream's own 500 for a session manager request whose service did not answer."""
    return (
        case.formatted_path.endswith("/sessions/manager")
        and response.status_code == 500  # type: ignore[attr-defined]
        and response.text.strip() == '"No answer from service."'  # type: ignore[attr-defined]
    )


def fuzz(operations: list, target: dict, examples: int) -> tuple[Counter[int], list[str]]:
    """`examples` requests that fit the document and as many that do not (schemathesis' positive and negative
    modes: wrong types, missing or extra fields...) per operation; the statuses seen and every 5xx answer.

    (schemathesis' pytest integration does not run on pytest 9, so each operation gets its own hypothesis run.)
    """
    server_errors: list[str] = []
    statuses: Counter[int] = Counter()
    for operation, mode in itertools.product(operations, schemathesis.GenerationMode):

        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: schemathesis.Case) -> None:
            # A `fresh` target makes new credentials for each request (for operations that revoke them).
            headers = target["fresh"]() if "fresh" in target else target["headers"]
            response = case.call(base_url=target["base_url"], headers=headers, verify=target["verify"], timeout=30)
            statuses[response.status_code] += 1
            # 501 is a deliberate answer, as upstream's (user asset writes, a session without a service).
            crashed = response.status_code >= 500 and response.status_code != 501
            if crashed and not is_rpc_timeout(case, response):
                server_errors.append(
                    f"{case.method} {case.formatted_path} query={case.query} body={case.body!r} "
                    f"-> {response.status_code} {response.text[:200]}"
                )

        try:
            call()
        except Unsatisfiable:  # the negative mode of an operation that has nothing to make invalid
            continue
    return statuses, server_errors


def test_no_server_error(service_api_schema: schemathesis.BaseSchema, fuzz_target: dict) -> None:
    """Every /api/service operation, EXAMPLES_PER_OPERATION examples per mode; all 5xx answers are collected.

    One 500 is upstream's contract, not a crash: /sessions/manager's "No answer from service." when the target
    service does not answer its RPC in time.
    """
    operations = [result.ok() for result in service_api_schema.get_all_operations()]
    assert len(operations) == 51  # every method of the 24 resources is in the document
    statuses, server_errors = fuzz(operations, fuzz_target, EXAMPLES_PER_OPERATION)
    counts = dict(sorted(statuses.items()))
    print(f"\nfuzzed {sum(statuses.values())} requests over {len(operations)} operations: {counts}")
    assert statuses[200] > 0  # the token works: some requests reached the handlers and succeeded
    assert server_errors == []


def user_operations(schema: schemathesis.BaseSchema) -> list:
    """Every /api/user operation but those that cannot be fuzzed with a shared token (see USER_PATHS_NOT_FUZZED)."""
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if op.path not in USER_PATHS_NOT_FUZZED]


def test_no_server_error_on_user_api(user_api_schema: schemathesis.BaseSchema, user_fuzz_target: dict) -> None:
    """Every other /api/user operation with the superadmin's token, USER_EXAMPLES_PER_OPERATION per mode."""
    operations = user_operations(user_api_schema)
    paths = {operation.path for operation in operations}
    # The families of this server's user API are all there (a resource that fails to register would be missed).
    assert {"/user/sessions", "/user/sessions/events", "/user/assets", "/user/participants"} <= paths
    assert {"/user/server/settings", "/user/versions", "/user/projects", "/user/services"} <= paths
    statuses, server_errors = fuzz(operations, user_fuzz_target, USER_EXAMPLES_PER_OPERATION)
    counts = dict(sorted(statuses.items()))
    print(f"\nfuzzed {sum(statuses.values())} requests over {len(operations)} user operations: {counts}")
    assert statuses[200] > 0  # the token works: some requests reached the handlers and succeeded
    assert statuses[401] == 0  # ... and stayed valid all along (nothing fuzzed revokes it)
    assert server_errors == []


# --- the participant and device APIs, each with its own kind of token ----------------------------------------
PARTICIPANT_PATHS_NOT_FUZZED = {"/participant/logout", "/participant/refresh_token"}  # they revoke the token
DEVICE_PATHS_NOT_FUZZED = {"/device/register"}  # one registration per second: nearly every example a 429


@pytest.fixture(scope="module")
def participant_fuzz_target(api_stack: Stack, api_stack_ca: Path) -> dict:
    """A login-enabled participant of a project of its own, with a dynamic token (full access)."""
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        project = new_project(api_stack, new_site(api_stack).id)
        account = new_login_participant(front, admin, project.id)
        response = front.get("/api/participant/login", auth=(account.username, PARTICIPANT_PASSWORD))
        response.raise_for_status()
        token = response.json()["participant_token"]
    return {
        "base_url": api_stack.base_url + "/api",
        "verify": str(api_stack_ca),
        "headers": {"Authorization": f"OpenTera {token}"},
    }


@pytest.fixture(scope="module")
def device_fuzz_target(api_stack: Stack, api_stack_ca: Path) -> dict:
    """An enabled, onlineable device's static token."""
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        registration_key = api_stack.psql(kit_tokens.DEVICE_REGISTER_KEY_SQL)[0][0]
        device = kit_tokens.register_device(front, registration_key, "Fuzzed device", "fuzz", onlineable=True)
        kit_tokens.enable_device(front, admin, device["device_uuid"])
    return {
        "base_url": api_stack.base_url + "/api",
        "verify": str(api_stack_ca),
        "headers": {"Authorization": f"OpenTera {device['device_token']}"},
    }


@pytest.mark.parametrize(
    ("family", "not_fuzzed", "target_fixture", "count"),
    [
        # 9 methods of 7 resources, less the 2 that revoke; 15 of 9, less register's 2.
        ("/participant/", PARTICIPANT_PATHS_NOT_FUZZED, "participant_fuzz_target", 7),
        ("/device/", DEVICE_PATHS_NOT_FUZZED, "device_fuzz_target", 13),
    ],
)
def test_no_server_error_on_participant_and_device_apis(
    request: pytest.FixtureRequest,
    api_stack: Stack,
    api_stack_ca: Path,
    family: str,
    not_fuzzed: set,
    target_fixture: str,
    count: int,
) -> None:
    """Every other operation of the family with a token of its kind, USER_EXAMPLES_PER_OPERATION per mode."""
    schema = namespace_schema(api_stack, api_stack_ca, family)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path not in not_fuzzed]
    assert len(operations) == count, [op.path for op in operations]
    statuses, server_errors = fuzz(operations, request.getfixturevalue(target_fixture), USER_EXAMPLES_PER_OPERATION)
    counts = dict(sorted(statuses.items()))
    print(f"\nfuzzed {sum(statuses.values())} requests over {len(operations)} {family} operations: {counts}")
    assert statuses[200] > 0  # the token works: some requests reached the handlers and succeeded
    assert server_errors == []


# --- the operations left out above: fresh credentials for every request ---------------------------------------
# Per mode; each request of a user or participant run costs a login (bcrypt).
LEFT_OUT_EXAMPLES_PER_OPERATION = examples(3)
NAMESPACES = ("/user/", "/service/", "/participant/", "/device/")


def document_operations(stack: Stack, ca: Path) -> set[tuple[str, str]]:
    document = requests.get(stack.base_url + "/api/swagger.json", verify=str(ca), timeout=15).json()
    methods = {"get", "post", "put", "delete", "patch"}
    return {(path, method) for path, item in document["paths"].items() for method in item if method in methods}


def test_every_operation_of_the_document_is_fuzzed(api_stack: Stack, api_stack_ca: Path) -> None:
    """The runs of this module together cover the whole document: every path is in one of the four namespaces,
    and the paths left out of a namespace's run are those the last run fuzzes."""
    operations = document_operations(api_stack, api_stack_ca)
    assert {path for path, _ in operations if not path.startswith(NAMESPACES)} == set()
    left_out = USER_PATHS_NOT_FUZZED | PARTICIPANT_PATHS_NOT_FUZZED | DEVICE_PATHS_NOT_FUZZED
    assert left_out <= {path for path, _ in operations}, "a path left out no longer exists"


@pytest.mark.parametrize("family", ["user", "participant", "device"])
def test_no_server_error_on_the_operations_left_out_above(api_stack: Stack, api_stack_ca: Path, family: str) -> None:
    """USER_PATHS_NOT_FUZZED, PARTICIPANT_PATHS_NOT_FUZZED and DEVICE_PATHS_NOT_FUZZED, each request with fresh
    credentials: a new user or participant token (or HTTP Basic for the logins), none for device registration."""
    left_out = {"user": USER_PATHS_NOT_FUZZED, "participant": PARTICIPANT_PATHS_NOT_FUZZED,
                "device": DEVICE_PATHS_NOT_FUZZED}[family]  # fmt: skip
    front = FrontDoorSession(api_stack.base_url, api_stack_ca)
    if family == "user":
        username, password = "admin", "admin"
        login_path = "/api/user/login"
    elif family == "participant":
        admin = login(front, "admin", "admin")
        account = new_login_participant(front, admin, new_project(api_stack, new_site(api_stack).id).id)
        username, password = account.username, PARTICIPANT_PASSWORD
        login_path = "/api/participant/login"

    def fresh() -> dict[str, str]:
        if family == "device":
            return {}
        answer = front.get(login_path, auth=(username, password))
        answer.raise_for_status()
        token = answer.json()["user_token" if family == "user" else "participant_token"]
        return {"Authorization": f"OpenTera {token}"}

    schema = namespace_schema(api_stack, api_stack_ca, f"/{family}/")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path in left_out]
    assert {op.path for op in operations} == left_out
    target = {"base_url": api_stack.base_url + "/api", "verify": str(api_stack_ca), "fresh": fresh}
    statuses, server_errors = fuzz(operations, target, LEFT_OUT_EXAMPLES_PER_OPERATION)
    counts = dict(sorted(statuses.items()))
    print(f"\nfuzzed {sum(statuses.values())} requests over {len(operations)} left-out {family} operations: {counts}")
    assert sum(statuses.values()) >= len(operations)
    assert server_errors == []
