"""Structured logging: one JSON object per line on stdout.

Docker collects stdout, and one JSON object per line stays greppable by humans and parseable by tools
(`docker compose logs teraserver | jq`). Access-log records carry method/path/status/duration as extra fields.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from typing import Any

# Attributes every LogRecord has; anything else was passed with `extra=` and is copied into the JSON object.
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(level: str) -> dict[str, Any]:
    """dictConfig used both by our code and by granian (its `log_dictconfig`), so all lines share one format."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.stdout}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            # granian's own lines (start, workers, shutdown) go through the root logger's JSON handler.
            "_granian": {"level": level},
            # Our middleware writes access lines itself (with duration); granian's access log stays off.
            "granian.access": {"level": "WARNING"},
            # SQLAlchemy / werkzeug are chatty at INFO.
            "sqlalchemy": {"level": "WARNING"},
            "werkzeug": {"level": "WARNING"},
        },
    }


def setup_logging(level: str) -> None:
    import logging.config

    logging.config.dictConfig(logging_config(level))
    # The package's models emit SQLAlchemy warnings while creating test data; keep them on the JSON stream.
    logging.captureWarnings(True)
