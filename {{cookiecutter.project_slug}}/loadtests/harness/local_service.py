"""One `bentoml serve` of the project's service on a free loopback port, as `make serve`
runs it but with the settings users get: the API key and every other setting at its
default. Each server gets its own BentoML home that shares the model store, because
BentoML wipes the Prometheus files in its home at start: two servers sharing a home
would erase each other's metrics."""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

READY_TIMEOUT_SECONDS = 120  # model load and warm-up on a busy two-core machine
POLL_SECONDS = 0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def readiness(port: int) -> int | None:
    """Status of GET /readyz, or None while nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def service_environment() -> dict[str, str]:
    """This environment without SERVICE_* settings other than the API key: the service
    runs as users get it, whatever the shell that started the harness exports."""
    if not os.environ.get("SERVICE_API_KEY"):
        raise RuntimeError("SERVICE_API_KEY is not set: run through make (it reads .env)")
    kept = {"SERVICE_API_KEY"}
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SERVICE_") or name in kept
    }


class LocalService:
    def __init__(self, service: str, log_path: Path) -> None:
        self.service = service
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.service} on port {self.port} was never started")
        return self.process.pid

    def start(self) -> "LocalService":
        models = Path(os.environ["BENTOML_HOME"]).resolve() / "models"
        home = self.log_path.with_name(f"{self.log_path.stem}-bentoml-home")
        home.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            (home / "models").symlink_to(models)
        command = [sys.executable, "-m", "bentoml", "serve", self.service]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [*command, "--host", "127.0.0.1", "--port", str(self.port)],
                env={**service_environment(), "BENTOML_HOME": str(home)},
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so stop() reaches the workers as Kubernetes does.
                start_new_session=True,
            )
        return self

    def wait_until_ready(self, timeout_seconds: float = READY_TIMEOUT_SECONDS) -> float:
        """Seconds until /readyz answered 200."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_seconds:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.service} exited before it was ready:\n{self.log()}")
            if readiness(self.port) == 200:
                return time.monotonic() - started
            time.sleep(POLL_SECONDS)
        raise TimeoutError(
            f"{self.service} not ready after {timeout_seconds:g} s; its log:\n{self.log()}"
        )

    def stop(self, grace_seconds: float = 15) -> bool:
        """SIGTERM to the process group, SIGKILL after `grace_seconds`, as a kubelet does.
        True when it exited within the grace period."""
        if self.process is None or self.process.poll() is not None:
            return True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace_seconds)
            return True
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]
