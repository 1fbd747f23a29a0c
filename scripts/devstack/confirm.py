"""Asking before a destructive step (`reset`, `seed`): the user types the project name, or passes --yes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

EXIT_NOT_CONFIRMED = 1


def confirmed(
    project: str,
    assume_yes: bool,
    stdin: TextIO,
    ask: Callable[[str], str] | None = None,
    consequence: str | None = None,
) -> bool | None:
    """True to go ahead, False when the typed name did not match, None when there is no terminal to ask on.

    `consequence` is the sentence saying what will be lost (default: a reset's).
    """
    if assume_yes:
        return True
    if not stdin.isatty():
        return None
    consequence = consequence or (
        f"This deletes every container and volume of Compose project {project!r} "
        "(database, Redis, certificates) and starts it fresh."
    )
    prompt = f"{consequence}\nType the project name to confirm: "
    try:
        answer = (ask or input)(prompt)
    except EOFError:  # Ctrl-D at the prompt: no answer is no
        return False
    return answer.strip() == project
