"""Closed-loop load with wrk: a fixed number of connections, each sending its next
request as soon as the last is answered, for a fixed time after a warm-up.

wrk is C on epoll and spends a few microseconds per request, so at the rates measured
here it takes a small share of one core; a Python load generator would need most of a
core for the same rates and would cap the fastest server instead of measuring it.
"""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("post.lua")
SUMMARY_MARKER = "BENCH_SUMMARY "


class LoadGeneratorMissing(RuntimeError):
    """wrk is not installed."""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadGeneratorMissing(
            "wrk is not installed: `sudo apt-get install wrk` (Debian, Ubuntu) or "
            "`brew install wrk` (macOS), then run `make bench` again"
        )
    return path


def run_wrk(
    url: str, body_path: Path, api_key: str, connections: int, seconds: float
) -> LoadResult:
    """One wrk thread: it is enough for these rates and leaves the cores to the server."""
    command = [
        wrk_path(),
        "--threads=1",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={SCRIPT}",
        url,
        "--",
        str(body_path),
        api_key,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    lines = [line for line in completed.stdout.splitlines() if line.startswith(SUMMARY_MARKER)]
    if not lines:
        raise RuntimeError(f"wrk printed no summary:\n{completed.stdout}\n{completed.stderr}")
    summary = json.loads(lines[-1].removeprefix(SUMMARY_MARKER))
    return LoadResult(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        non_2xx=summary["status_errors"],
        socket_errors=summary["socket_errors"],
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
    )
