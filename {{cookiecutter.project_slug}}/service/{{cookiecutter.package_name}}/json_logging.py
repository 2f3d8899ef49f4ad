"""One JSON object per log line, carrying the id of the request being served."""

import json
import logging
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Set by RequestContextMiddleware for the duration of each request.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
# Fields of the whole process, on every line it writes (log_on_every_line).
PROCESS_FIELDS: dict[str, Any] = {}


def log_on_every_line(**fields: Any) -> None:
    PROCESS_FIELDS.update(fields)


def json_line(created: float, level: str, logger: str, message: str, fields: dict[str, Any]) -> str:
    """The one shape of every log line: time, level, logger, message, request id, the
    process's fields, the line's fields."""
    entry = {
        "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": logger,
        "message": message,
    }
    if request_id := REQUEST_ID.get():
        entry["request_id"] = request_id
    entry.update(PROCESS_FIELDS)
    entry.update(fields)
    return json.dumps(entry, default=str)


class JsonFormatter(logging.Formatter):
    """Fields passed as `extra={"fields": {...}}` become top-level keys of the line."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        if record.exc_info:
            fields = {**fields, "exception": self.formatException(record.exc_info)}
        return json_line(record.created, record.levelname, record.name, record.getMessage(), fields)


class AccessLog:
    """The line written for every request: the line JsonFormatter would write, at the
    level set for logger `name`, to standard output as BentoML's handler does; but
    without the LogRecord, filters, handlers and lock of `logging`, which took a tenth of
    each request's CPU time. Each line is written and flushed whole: on a pipe, a write
    of up to 4 KiB is atomic, so lines from the workers never interleave."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)

    def log(self, level: int, message: str, fields: dict[str, Any]) -> None:
        if not self.logger.isEnabledFor(level):
            return
        name = logging.getLevelName(level)
        sys.stdout.write(json_line(time.time(), name, self.logger.name, message, fields) + "\n")
        sys.stdout.flush()


def configure_json_logging(level: str) -> None:
    """Switch every handler of this worker, BentoML's included, to JSON lines.

    BentoML installs its own handlers when a worker starts, so this runs when the
    service is created, not at import time.
    """
    loggers = (logging.getLogger(), logging.getLogger("bentoml"))
    handlers = {handler for logger in loggers for handler in logger.handlers}
    if not handlers:
        handler = logging.StreamHandler(sys.stdout)
        logging.getLogger().addHandler(handler)
        handlers = {handler}
    formatter = JsonFormatter()
    for handler in handlers:
        handler.setFormatter(formatter)
    # BentoML gives uvicorn's error logger the root's handler and lets it propagate to
    # the root too, which prints every server error twice.
    logging.getLogger("uvicorn.error").propagate = False
    logging.getLogger(__package__).setLevel(level)
