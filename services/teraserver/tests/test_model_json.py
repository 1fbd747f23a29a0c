"""fast_to_json (teraserver.database) must answer exactly what the package's BaseMixin.to_json answers."""

from __future__ import annotations

import datetime
from typing import Any

import opentera.db.models  # noqa: F401  (registers every model)
import pytest
import sqlalchemy as sa
from opentera.db.Base import BaseModel
from sqlalchemy.orm.instrumentation import manager_of_class

from teraserver.database import fast_to_json, original_to_json

sa.orm.configure_mappers()  # relationships resolved, attribute setters ready (the app does this on first use)
MODELS = sorted((mapper.class_ for mapper in BaseModel.registry.mappers), key=lambda cls: cls.__name__)


def _sample(column: sa.Column, index: int) -> Any:
    kind = column.type.python_type if hasattr(column.type, "python_type") else str
    samples: dict[type, Any] = {
        int: 1000 + index,
        str: f"value-{index}",
        bool: index % 2 == 0,
        float: index + 0.25,
        datetime.datetime: datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC),
        datetime.date: datetime.date(2024, 5, 6),
        datetime.timedelta: datetime.timedelta(minutes=3, seconds=7, microseconds=654321),
    }
    return samples.get(kind, f"value-{index}")


def transient(cls: type, *, deleted: bool) -> Any:
    """An instance of `cls` with every column set, built without calling __init__ (signatures vary)."""
    instance = manager_of_class(cls).new_instance()
    for index, column in enumerate(cls.__table__.columns):
        setattr(instance, column.key, _sample(column, index))
    if "deleted_at" in cls.__table__.columns:
        instance.deleted_at = datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC) if deleted else None
    return instance


def test_every_model_is_covered() -> None:
    assert len(MODELS) > 20


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("deleted", [False, True], ids=["live", "deleted"])
def test_same_json_as_the_package(cls: type, deleted: bool) -> None:
    instance = transient(cls, deleted=deleted)
    expected = original_to_json(instance)
    got = fast_to_json(instance)
    assert got == expected
    assert list(got) == list(expected)  # same key order too
    assert ("deleted_at" in got) is (deleted and "deleted_at" in cls.__table__.columns)


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
def test_ignore_fields_are_honoured_and_extended_alike(cls: type) -> None:
    instance = transient(cls, deleted=False)
    first_column = next(iter(cls.__table__.columns)).key
    theirs, ours = [first_column], [first_column]
    assert fast_to_json(instance, ours) == original_to_json(instance, theirs)
    assert first_column not in fast_to_json(instance, [first_column])
    # Callers (the models' own to_json) rely on the list being extended with the relationship names.
    assert ours == theirs


def test_attributes_set_on_one_instance_are_included_like_dir_does() -> None:
    cls = MODELS[0]
    instance = transient(cls, deleted=False)
    instance.extra_value = "only here"
    instance.extra_callable = lambda: None  # a function: left out by both
    expected = original_to_json(instance)
    assert expected["extra_value"] == "only here"
    assert fast_to_json(instance) == expected
    assert list(fast_to_json(instance)) == list(expected)


def test_timedelta_is_shortened_like_the_package() -> None:
    cls = MODELS[0]
    instance = transient(cls, deleted=False)
    instance.extra_duration = datetime.timedelta(hours=1, microseconds=5)
    instance.extra_whole = datetime.timedelta(hours=2)
    got = fast_to_json(instance)
    assert got["extra_duration"] == "1:00:00.000"
    assert got["extra_whole"] == "2:00:00"
    assert got == original_to_json(instance)
