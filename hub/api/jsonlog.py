"""Structured logs: one JSON object per line, with a fixed set of fields.

Only whitelisted ``extra`` fields are written (request id, route template,
status, duration, client id, reason codes), so a careless ``extra`` cannot leak a
token, a query string or personal data into the logs.  ``hub serve`` calls
``configure_logging``; tests leave logging alone.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# one encoder for every line (``json.dumps`` with options builds a new encoder per call)
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
FIELDS = ("request_id", "method", "route", "status", "duration_ms", "subject", "stage", "reason",
          "probe")


class JsonFormatter(logging.Formatter):
    """Formats a record as a JSON line: ts, level, logger, message and known extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({f: getattr(record, f) for f in FIELDS if getattr(record, f, None) is not None})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _encode(line)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``hub`` loggers to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("hub")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
