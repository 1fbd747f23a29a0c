"""Run Python inside the stack's TeraServer container, on its real database and pools, and read the findings back.

The code leaves what it found in a variable named `seen` (anything JSON can hold); `teraserver_probe` returns it.
"""

from __future__ import annotations

import json
from typing import Any

from devstack.testing.stack import Stack

_MARK = "PROBE "
_REPORT = f"\nimport json as _probe_json\nprint({_MARK!r} + _probe_json.dumps(seen))\n"


def teraserver_probe(stack: Stack, code: str) -> Any:
    result = stack.run("exec", "-T", "teraserver", "python", "-c", code + _REPORT)
    line = next((line for line in result.stdout.splitlines() if line.startswith(_MARK)), None)
    if line is None:
        raise AssertionError(f"the probe reported nothing; its output:\n{result.stdout}\n{result.stderr}")
    return json.loads(line.removeprefix(_MARK))


# The start of a probe of the answers TeraServer gives in front of Flask (api/direct.py): the app on the
# container's settings (`settings`, `app`), `direct` (the DirectAnswers boundary) and `flask_only` (the Flask app
# behind it), `environ(method, path, query, headers, data=None)`, `answer(wsgi_app, case)` ([status, headers,
# body]) and `compare(cases)`: for each named case, whether the boundary answers it itself, and the answers of the
# whole chain and of Flask alone.
DIRECT_PRELUDE = """
from werkzeug.test import EnvironBuilder, run_wsgi_app
from teraserver.app import create_app
from teraserver.settings import load_settings

settings = load_settings()
app = create_app(settings)
direct = app.wsgi_app.wsgi_app  # AccessLogMiddleware(DirectAnswers(Flask's wsgi_app))
flask_only = direct.app

def environ(method, path, query, headers, data=None):
    return EnvironBuilder(method=method, path=path, query_string=query, headers=headers, data=data).get_environ()

def answer(wsgi_app, case):
    body, status, headers = run_wsgi_app(wsgi_app, environ(*case))
    try:
        data = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return [status, [list(pair) for pair in headers.to_wsgi_list()], data.decode()]

def compare(cases):
    # Both answers of a case at one instant of `time.time()`: answers that carry the time (an asset's access token,
    # its iat and exp in whole seconds) differed when the two calls fell on each side of a second.
    import time
    real_time, seen = time.time, {}
    try:
        for name, case in cases.items():
            instant = real_time()
            time.time = lambda: instant
            seen[name] = {
                "direct": direct.answer(environ(*case)) is not None,
                "whole chain": answer(app.wsgi_app, case),
                "flask": answer(flask_only, case),
            }
    finally:
        time.time = real_time
    return seen
"""


def directly_answered(seen: Any) -> set[str]:
    """The cases of a DIRECT_PRELUDE probe's `compare` that the boundary answered itself."""
    return {name for name, case in seen["cases"].items() if case["direct"]}


def assert_every_answer_is_flasks(seen: Any) -> None:
    """Each case of a DIRECT_PRELUDE probe got, through the whole chain, exactly Flask's answer."""
    for name, case in seen["cases"].items():
        assert case["whole chain"] == case["flask"], name


# The start of a probe that adds rows of its own in a transaction it rolls back: the app on the container's
# settings, `now`, `GONE` (soft-deleted), `row(model, **values)` (INSERT ... RETURNING its id, through the ORM
# session the code opens as `session`), `new_uuid()`, `person(first_name)` (a user), and the models used to make
# them. A probe appends its own imports and code; `session = BaseModel.db().session` inside an app context.
ROWS_PRELUDE = """
import datetime, json, uuid
from opentera.db.Base import BaseModel
from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceType import TeraDeviceType
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraUser import TeraUser
from sqlalchemy import insert
from teraserver.app import create_app
from teraserver.settings import load_settings

app = create_app(load_settings())
now = datetime.datetime.now(datetime.timezone.utc)
GONE = {"deleted_at": now}

def row(model, **values):
    table = model.__table__
    key = table.primary_key.columns.values()[0]
    if "version_id" in table.c:
        values.setdefault("version_id", 1)
    return session.execute(insert(table).values(**values).returning(key)).scalar_one()

def new_uuid():
    return str(uuid.uuid4())

def person(first, **extra):
    return row(TeraUser, user_username=f"probe-{first}-{new_uuid()[:8]}", user_uuid=new_uuid(), user_firstname=first,
               user_lastname="Probe", user_password="x", user_enabled=True, user_profile="{}", user_superadmin=False,
               user_2fa_enabled=False, user_2fa_otp_enabled=False, user_2fa_email_enabled=False,
               user_force_password_change=False, **extra)
"""
