"""The API layer's one convention (api/resources.py), checked on the code: every resource is a subclass of its
family's base class, registered in its family's route table and nowhere else, and every GET a route names a
model for documents that model in the OpenAPI document."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_restx import Api, Resource
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from teraserver.api import resources

API = Path(__file__).resolve().parent.parent / "teraserver" / "api"
FAMILIES = {
    "user": resources.UserResource,
    "service": resources.ServiceResource,
    "participant": resources.ParticipantResource,
    "device": resources.DeviceResource,
}


def family_routes(family: str) -> tuple[resources.Route, ...]:
    return importlib.import_module(f"teraserver.api.{family}.routes").ROUTES


@pytest.mark.parametrize("family", FAMILIES)
def test_every_route_is_a_resource_of_its_family(family: str) -> None:
    for route in family_routes(family):
        assert issubclass(route.resource, (FAMILIES[family], resources.PublicResource)), route
        assert route.url.startswith("/"), route


@pytest.mark.parametrize("family", FAMILIES)
def test_every_resource_class_of_a_family_is_in_its_route_table(family: str) -> None:
    routed = {route.resource.__name__ for route in family_routes(family)}
    declared = set()
    for path in (API / family).glob("*.py"):
        module = importlib.import_module(f"teraserver.api.{family}.{path.stem}")
        declared |= {
            name
            for name, value in vars(module).items()
            if isinstance(value, type)
            and issubclass(value, Resource)
            and value.__module__ == module.__name__
            and any(hasattr(value, method) for method in ("get", "post", "put", "delete", "patch"))
        }
    # A class that only shares its handlers with a routed subclass (users/services GET) is not routed itself.
    shared_bases = {base.__name__ for route in family_routes(family) for base in route.resource.__mro__[1:]}
    assert declared - routed - shared_bases == set()


def test_no_module_registers_a_route_itself() -> None:
    for path in API.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"route", "add_resource"}:
                assert path.name == "resources.py", f"{path}: registers a route outside the route tables"


def test_every_resource_refuses_by_raising_not_by_returning_an_error_tuple() -> None:
    for path in API.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
                status = node.value.elts[1]
                if isinstance(status, ast.Constant) and isinstance(status.value, int):
                    assert status.value < 400, f"{path}:{node.lineno}: raise ClientError(message, {status.value})"


def test_the_openapi_document_shows_each_named_model() -> None:
    from teraserver.api import create_api

    app = Flask("convention")
    api = create_api(app, SimpleNamespace(enable_docs=True, test_data=False))  # type: ignore[arg-type]
    with app.test_request_context():
        document = api.__schema__
    checked = 0
    for family in FAMILIES:
        for route in family_routes(family):
            if route.returns is None:
                continue
            answer = document["paths"][f"/{family}{route.url}"]["get"]["responses"]["200"]
            assert answer["schema"] == {"$ref": f"#/definitions/{route.returns.__name__}"}, route
            properties = document["definitions"][route.returns.__name__]["properties"]
            assert not {name for name in properties if name.endswith("_password") or name == "deleted_at"}
            checked += 1
    assert checked > 50


class _Session:
    rolled_back = 0

    def rollback(self) -> None:
        _Session.rolled_back += 1


def _refusing_app(monkeypatch: pytest.MonkeyPatch, error: Callable[[], BaseException]) -> Flask:
    from flask_restx import Api
    from opentera.db.Base import BaseModel

    from teraserver.api.common import ClientError

    monkeypatch.setattr(BaseModel, "db", classmethod(lambda cls: SimpleNamespace(session=_Session())))

    class Refusing(resources.PublicResource):
        def get(self) -> None:
            raise error()

    app = Flask("refusals")
    api = Api(app)

    @api.errorhandler(ClientError)
    def client_error(refusal: ClientError) -> tuple[dict[str, str], int]:
        return {}, refusal.status

    api.add_resource(Refusing, "/refusing")
    return app


def _in_the_models(exception: BaseException) -> Callable[[], BaseException]:
    """An exception raised from a frame of a module named like the opentera package's."""
    namespace: dict[str, object] = {"__name__": "opentera.db.models.Fake", "exception": exception}
    exec("def convert():\n    raise exception\n", namespace)  # noqa: S102 - a frame with that module name

    def raised() -> BaseException:
        try:
            namespace["convert"]()  # type: ignore[operator]
        except BaseException as caught:  # noqa: BLE001
            return caught
        raise AssertionError("unreachable")

    return raised


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            lambda: IntegrityError("INSERT", {}, Exception("duplicate key")),
            400,
            "Invalid data: refused by the database",
        ),
        (lambda: SQLAlchemyError("Column 'nope' not found"), 400, "Invalid data: Column 'nope' not found"),
        (_in_the_models(ValueError("bad date")), 400, "Invalid data: a value has the wrong type or format"),
        (lambda: ValueError("a bug of ours"), 500, None),
        (lambda: AttributeError("a bug of ours"), 500, None),
    ],
    ids=["integrity", "model-refusal", "model-conversion", "our-valueerror", "our-attributeerror"],
)
def test_refusals_are_mapped_in_one_place(
    monkeypatch: pytest.MonkeyPatch, error: Callable[[], BaseException], status: int, body: str | None
) -> None:
    app = _refusing_app(monkeypatch, error)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = app.test_client().get("/refusing")
    assert answer.status_code == status
    if body is not None:
        assert answer.get_json() == body
        assert _Session.rolled_back > 0


@pytest.mark.parametrize("fast_paths", [True, False])
def test_reads_without_transaction_follows_the_fast_paths_switch(
    monkeypatch: pytest.MonkeyPatch, fast_paths: bool
) -> None:
    from teraserver import context, database

    switched: list[bool] = []
    monkeypatch.setattr(database, "begin_autocommit", lambda: switched.append(True))
    monkeypatch.setattr(context, "settings", lambda: SimpleNamespace(fast_paths=fast_paths))

    class HotRead(resources.PublicResource):
        @database.reads_without_transaction
        def get(self) -> str:
            return "read"

        def post(self) -> str:
            return "written"

    app = Flask("fast-paths")
    Api(app).add_resource(HotRead, "/hot")
    client = app.test_client()
    assert client.get("/hot").get_json() == "read"
    assert switched == ([True] if fast_paths else [])
    assert client.post("/hot").get_json() == "written"
    assert switched == ([True] if fast_paths else []), "a method not marked runs in a transaction"
