"""Log lines: one JSON object each, the same shape from `logging` and from the access log."""

import json
import logging

import pytest

from {{ cookiecutter.package_name }} import json_logging
from {{ cookiecutter.package_name }}.json_logging import (
    REQUEST_ID,
    AccessLog,
    JsonFormatter,
    log_on_every_line,
)

NAME = "{{ cookiecutter.package_name }}.test_access"


@pytest.fixture(autouse=True)
def no_process_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """A service made in this process (another test's) set its own."""
    monkeypatch.setattr(json_logging, "PROCESS_FIELDS", {})


@pytest.fixture
def access_log() -> AccessLog:
    logging.getLogger(NAME).setLevel(logging.INFO)
    return AccessLog(NAME)


def test_the_access_line_has_the_formatters_shape_and_the_request_id(
    access_log: AccessLog, capsys: pytest.CaptureFixture[str]
) -> None:
    token = REQUEST_ID.set("req-1")
    try:
        access_log.log(logging.INFO, "request served", {"status": 200})
        record = logging.LogRecord(NAME, logging.INFO, __file__, 1, "request served", None, None)
        record.fields = {"status": 200}
        formatted = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)

    written = json.loads(capsys.readouterr().out)
    assert written.keys() == formatted.keys()
    assert {key: written[key] for key in written if key != "time"} == {
        "level": "INFO",
        "logger": NAME,
        "message": "request served",
        "request_id": "req-1",
        "status": 200,
    }


def test_lines_below_the_loggers_level_are_not_written(
    access_log: AccessLog, capsys: pytest.CaptureFixture[str]
) -> None:
    access_log.log(logging.DEBUG, "request served", {"path": "/livez"})
    assert capsys.readouterr().out == ""


def test_the_process_fields_are_on_every_line_of_both_paths(
    access_log: AccessLog, capsys: pytest.CaptureFixture[str]
) -> None:
    log_on_every_line(model_version="model:v7")
    access_log.log(logging.INFO, "request served", {"status": 200})
    record = logging.LogRecord(NAME, logging.INFO, __file__, 1, "ready", None, None)
    formatted = json.loads(JsonFormatter().format(record))
    written = json.loads(capsys.readouterr().out)
    assert written["model_version"] == formatted["model_version"] == "model:v7"
