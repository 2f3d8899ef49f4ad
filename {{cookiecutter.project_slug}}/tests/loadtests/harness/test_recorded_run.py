"""The recorded run's format: what the Locust plugin writes, the judges read back."""

from pathlib import Path

import pytest

from harness.recorded_run import (
    RequestRecord,
    event_line,
    read_recorded_run,
    request_line,
)


def test_a_written_run_reads_back_with_its_bounds_and_requests(tmp_path: Path) -> None:
    requests = [
        RequestRecord(10.5, 3.2, "/predict [1 record]", None),
        RequestRecord(11.0, 7.9, "/predict [invalid]", "missing feature: expected a 4xx, got 200"),
    ]
    path = tmp_path / "requests.jsonl"
    path.write_text(
        event_line("test_start", 10.0)
        + "".join(request_line(request) for request in requests)
        + event_line("test_stop", 12.5)
    )

    run = read_recorded_run(path)

    assert (run.started, run.stopped, run.seconds) == (10.0, 12.5, 2.5)
    assert run.requests == requests


def test_a_run_that_never_stopped_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(event_line("test_start", 10.0))

    with pytest.raises(ValueError, match=r"no test_start or test_stop line.*request_recorder\.py"):
        read_recorded_run(path)
