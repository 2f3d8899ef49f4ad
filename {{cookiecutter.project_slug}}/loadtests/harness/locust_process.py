"""Locust as a subprocess, with the project's clients and every request recorded: the
same locustfile, semantics and SLO verdict as `make loadtest`."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

LOADTESTS = Path(__file__).resolve().parents[1]


def start_locust(
    host: str, report_dir: Path, shape: str | None = None, users: int | None = None
) -> subprocess.Popen[bytes]:
    """A headless run against `host`: with a shape from shapes/ it ends by itself; with
    `users` instead it holds that many until stop_locust(). Its requests go to
    report_dir/requests.jsonl, its verdict and reports beside them."""
    if (shape is None) == (users is None):
        raise ValueError("give either a shape or a number of users, not both or neither")
    files = [LOADTESTS / "locustfile.py", LOADTESTS / "request_recorder.py"]
    if shape is not None:
        files.append(LOADTESTS / "shapes" / f"{shape}.py")
    report_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "locust", "-f", ",".join(str(file) for file in files)]
    command += ["--headless", "--only-summary", "--host", host]
    command += ["--report-dir", str(report_dir), "--request-log", str(request_log(report_dir))]
    command += ["--html", str(report_dir / "report.html"), "--csv", str(report_dir / "stats")]
    if users is not None:
        command += ["--users", str(users), "--spawn-rate", str(users)]
    return subprocess.Popen(command, env=os.environ.copy())  # noqa: S603 - our own arguments


def request_log(report_dir: Path) -> Path:
    return report_dir / "requests.jsonl"


def stop_locust(process: subprocess.Popen[bytes], timeout_seconds: float = 30) -> int:
    """SIGTERM, which Locust answers like the end of a run: it stops the users, prints
    its summary and verdict, and exits with the verdict's code."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout_seconds)
