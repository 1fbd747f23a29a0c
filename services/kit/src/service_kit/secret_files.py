"""A variable, or the file its *_FILE form names (a Docker or Swarm secret), under docs/configuration.md's rules."""

from __future__ import annotations

from collections.abc import Mapping


# The two definitions below are, word for word, those of the DevStack's TeraServer settings and register job
# (tests/unit/test_secret_files_rules.py checks that the copies stay identical).
class SecretFileError(ValueError):
    """NAME and NAME_FILE are both set, or NAME_FILE names no readable file."""


def env_or_file(environ: Mapping[str, str], name: str) -> str | None:
    """The value of `name` in `environ`, or the content of the file `name`_FILE names (a Docker or Swarm secret).

    The rules of docs/configuration.md, "Passwords from files", also followed by the shell scripts: a variable
    counts as set when it is not empty; both set is an error naming both; the file's trailing newlines are
    dropped; a file that cannot be read is an error naming the variable and the path. Neither set: the
    variable's own value, "" or None.
    """
    value = environ.get(name)
    file_name = environ.get(f"{name}_FILE") or ""
    if not file_name:
        return value
    if value:
        raise SecretFileError(f"both {name} and {name}_FILE are set; set only one of them")
    try:
        with open(file_name, encoding="utf-8") as file:
            return file.read().rstrip("\n")
    except OSError as error:
        reason = error.strerror or str(error)
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    raise SecretFileError(f"{name}_FILE={file_name}: cannot read this file ({reason})")
