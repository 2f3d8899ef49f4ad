"""The format of a recorded run: one JSON object per line, written by the Locust plugin
loadtests/request_recorder.py and read by the judges (by minute for a soak, by phase for a
rollover). Requests carry their own start time, so a judge can place each in time."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class RequestRecord:
    started: float  # Unix time the request was sent
    response_ms: float
    name: str
    failure: str | None  # Locust's failure message; None when the request succeeded


@dataclass(frozen=True)
class RecordedRun:
    started: float  # Unix time Locust started the test
    stopped: float  # Unix time it stopped
    requests: list[RequestRecord]

    @property
    def seconds(self) -> float:
        return self.stopped - self.started


def request_line(record: RequestRecord) -> str:
    return json.dumps({"request": asdict(record)}) + "\n"


def event_line(event: str, at: float) -> str:
    """`test_start` or `test_stop` with its Unix time."""
    return json.dumps({event: at}) + "\n"


def read_recorded_run(path: Path) -> RecordedRun:
    """The run in `path`; a log without both markers is from a run that never finished."""
    started = stopped = None
    requests = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if "request" in entry:
            requests.append(RequestRecord(**entry["request"]))
        started = entry.get("test_start", started)
        stopped = entry.get("test_stop", stopped)
    if started is None or stopped is None:
        raise ValueError(
            f"{path} has no test_start or test_stop line: Locust did not start or did not "
            "stop cleanly (see its output above), or request_recorder.py was not among its -f files"
        )
    return RecordedRun(started, stopped, requests)
