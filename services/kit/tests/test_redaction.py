"""Passwords never reach the logs, even inside a longer secret or printed by the opentera package."""

from __future__ import annotations

import io

from service_kit.redaction import MASK, RedactingStream


def test_each_secret_is_masked_and_the_rest_kept() -> None:
    target = io.StringIO()
    stream = RedactingStream(target, ["hunter2", "s3cret"])
    stream.write("redis password=hunter2 db=s3cret user=admin\n")
    assert target.getvalue() == f"redis password={MASK} db={MASK} user=admin\n"


def test_a_secret_containing_another_is_masked_whole() -> None:
    target = io.StringIO()
    RedactingStream(target, ["abc", "abcdef"]).write("token abcdef and abc")
    assert target.getvalue() == f"token {MASK} and {MASK}"


def test_empty_secrets_mask_nothing_and_attributes_pass_through() -> None:
    target = io.StringIO()
    stream = RedactingStream(target, ["", None or ""])
    stream.write("nothing secret")
    assert target.getvalue() == "nothing secret"
    assert stream.getvalue() == "nothing secret"  # what the wrapped stream offers stays reachable
