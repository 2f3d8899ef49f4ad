"""Start the real BentoML server as a subprocess on a free loopback port."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SERVICE = "{{ cookiecutter.package_name }}.service:Classifier"
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    """`bentoml serve` with the given SERVICE_* settings; its output goes to `log_path`."""

    def __init__(
        self,
        settings: dict[str, str],
        log_path: Path,
        service: str = SERVICE,
        share_model_store: bool = True,
        arguments: tuple[str, ...] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log_file = log_path.open("wb")
        # Every server gets its own BENTOML_HOME sharing the test model store: BentoML
        # keeps its Prometheus multiprocess files in the home and wipes them at start,
        # so servers sharing a home would erase each other's metrics. A bento brings its
        # own model and gets an empty home, as in the image.
        home = log_path.with_name(f"{log_path.stem}-bentoml-home")
        home.mkdir()
        if share_model_store:
            (home / "models").symlink_to(Path(os.environ["BENTOML_HOME"]) / "models")
        command = [sys.executable, "-m", "bentoml", "serve", service, "--host", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *arguments],
            env={**os.environ, "BENTOML_HOME": str(home), **settings},
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def readiness(self) -> int | None:
        """Status of /readyz, or None while nothing accepts connections."""
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code
        except httpx.TransportError:
            return None

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            if self.readiness() == 200:
                return
            time.sleep(0.1)
        raise TimeoutError(f"server not ready after {START_TIMEOUT_SECONDS} s:\n{self.log()}")

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop the whole process group (bentoml serve runs its workers as children),
        unless a test has stopped it already."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()


@contextmanager
def running(settings: dict[str, str], log_path: Path, **options: object) -> Iterator[RunningServer]:
    """A server that is ready inside the block and stopped after it, whatever happens."""
    server = RunningServer(settings, log_path, **options)  # type: ignore[arg-type]
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()
