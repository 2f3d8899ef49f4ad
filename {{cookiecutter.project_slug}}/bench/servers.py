"""Start a server on a free loopback port, time it until /readyz says 200, watch its
memory, and stop its whole process group."""

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from harness.local_service import free_port, readiness

READY_TIMEOUT_SECONDS = 60
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class ServerSpec:
    """A server to benchmark: a name for the table and the command that starts it."""

    name: str
    description: str
    arguments: tuple[str, ...]
    environment: dict[str, str] = field(default_factory=dict)


def check_prediction(server: "RunningServer", body_path: Path, api_key: str, records: int) -> None:
    """One request before the load: a server that answers errors is not worth timing."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}
    try:
        connection.request("POST", "/predict", body=body_path.read_bytes(), headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read() or b"null")
    finally:
        connection.close()
    predictions = (
        answer.get("predictions", answer.get("labels")) if isinstance(answer, dict) else None
    )
    if response.status != 200 or len(predictions or ()) != records:
        raise RuntimeError(
            f"{server.spec.name} answered {response.status} {answer!r} to a valid request of "
            f"{records} record(s); see {server.log_path}"
        )


class RunningServer:
    """One benchmarked server. Its peak memory is the largest sum of the resident set
    sizes of its process and all of its children, sampled every 100 ms."""

    def __init__(self, spec: ServerSpec, log_path: Path, cwd: Path) -> None:
        self.spec = spec
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = log_path.open("wb")
        self.log_path = log_path
        self.peak_rss_bytes = 0
        self.stopping = threading.Event()
        arguments = [part.format(port=self.port) for part in spec.arguments]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, *arguments],
            env={**os.environ, **spec.environment},
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,
        )
        self.sampler = threading.Thread(target=self.sample_memory, daemon=True)
        self.sampler.start()

    def wait_until_ready(self) -> float:
        """Seconds from process start to the first 200 from /readyz."""
        deadline = self.started + READY_TIMEOUT_SECONDS
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited early:\n{self.log()}")
            if readiness(self.port) == 200:
                return time.perf_counter() - self.started
            time.sleep(POLL_SECONDS)
        raise TimeoutError(
            f"{self.spec.name} not ready in {READY_TIMEOUT_SECONDS} s:\n{self.log()}"
        )

    def sample_memory(self) -> None:
        while not self.stopping.wait(0.1):
            try:
                root = psutil.Process(self.process.pid)
                tree = [root, *root.children(recursive=True)]
                total = sum(process.memory_info().rss for process in tree)
            except psutil.Error:
                continue
            self.peak_rss_bytes = max(self.peak_rss_bytes, total)

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.stopping.set()
        self.sampler.join()
        # ProcessLookupError: it exited by itself, and its log says why.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log_file.close()
