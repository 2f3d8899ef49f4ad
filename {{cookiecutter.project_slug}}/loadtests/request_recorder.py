"""Locust plugin: every request of the run as one JSON line in --request-log, between a
test_start and a test_stop line (format: harness/recorded_run.py).

Load it beside the locustfile, as `make soak` and `make rollover` do:

    locust -f loadtests/locustfile.py,loadtests/request_recorder.py,... --request-log requests.jsonl

Lines are written as they happen (line-buffered), so a run stopped by a signal keeps
every request it made.
"""

import time
from typing import IO

from locust import events
from locust.env import Environment
from locust.runners import WorkerRunner

from harness.recorded_run import RequestRecord, event_line, request_line

_log: IO[str] | None = None


@events.init_command_line_parser.add_listener
def add_arguments(parser) -> None:
    parser.add_argument(
        "--request-log",
        env_var="LOCUST_REQUEST_LOG",
        default="",
        help="write every request to this file as a JSON line (off when empty)",
    )


@events.test_start.add_listener
def open_log(environment: Environment, **_) -> None:
    global _log
    path = environment.parsed_options.request_log
    if not path or isinstance(environment.runner, WorkerRunner):
        return  # workers' requests are not sent to the master one by one; run it unsplit
    _log = open(path, "w", buffering=1)  # noqa: SIM115 - closed by close_log at test_stop
    _log.write(event_line("test_start", time.time()))


@events.request.add_listener
def record_request(
    name: str, response_time: float, exception: BaseException | None, start_time: float, **_
) -> None:
    if _log is not None:
        failure = None if exception is None else str(exception)
        _log.write(request_line(RequestRecord(start_time, response_time, name, failure)))


@events.test_stop.add_listener
def close_log(environment: Environment, **_) -> None:
    global _log
    if _log is not None:
        _log.write(event_line("test_stop", time.time()))
        _log.close()
        _log = None
