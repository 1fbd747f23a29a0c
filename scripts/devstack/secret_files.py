"""Passwords from files: a variable NAME, or the file NAME_FILE names (Docker and Swarm secrets, issue 19).

Used by the `register` job (`devstack register` in its container). The same function, word for word, is in
TeraServer's settings (services/teraserver/teraserver/settings.py) and in the service kit (services/kit,
service_kit/secret_files.py), which ship in images of their own; tests/unit/test_secret_files_rules.py checks
the three are identical.
"""

from __future__ import annotations

from collections.abc import Mapping


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
