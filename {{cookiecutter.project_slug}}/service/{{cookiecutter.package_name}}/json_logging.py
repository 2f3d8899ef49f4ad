"""One JSON object per log line, carrying the id of the request being served."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

# Set by RequestContextMiddleware for the duration of each request.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    """Fields passed as `extra={"fields": {...}}` become top-level keys of the line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := REQUEST_ID.get():
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


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
    # The lines carry no source file, thread or process, so skip collecting them for every
    # record, as the logging HOWTO's "Optimization" section shows: the access log writes a
    # record per request, and this took a fifth of its cost.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
