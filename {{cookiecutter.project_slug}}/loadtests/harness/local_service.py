"""One `bentoml serve` of the project's service on a free loopback port: what the soak
and rollover harnesses run, and what every test that needs a real server starts.

It runs with exactly the SERVICE_* settings it is given (none are inherited from the
shell that started it), and gets its own BentoML home sharing the model store, because
BentoML wipes the Prometheus files in its home at start: two servers sharing a home
would erase each other's metrics. A bento brings its own model and gets an empty home,
as in the image."""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

READY_TIMEOUT_SECONDS = 120  # model load and warm-up on a busy two-core machine
POLL_SECONDS = 0.1
LOG_TAIL_CHARACTERS = 4000


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


def keys_file_from_environment() -> dict[str, str]:
    """The one setting the harnesses pass on: the keys file `make` names in .env (whose
    API_KEY their load generators send). Everything else stays at its default, as users
    get the service."""
    if not os.environ.get("SERVICE_API_KEYS_FILE"):
        raise RuntimeError("SERVICE_API_KEYS_FILE is not set: run through make (it reads .env)")
    return {"SERVICE_API_KEYS_FILE": os.environ["SERVICE_API_KEYS_FILE"]}


class LocalService:
    def __init__(
        self,
        service: str,
        log_path: Path,
        settings: Mapping[str, str] | None = None,
        arguments: tuple[str, ...] = (),
        share_model_store: bool = True,
    ) -> None:
        self.service = service
        self.log_path = log_path
        self.settings = dict(settings or {})
        self.arguments = arguments
        self.share_model_store = share_model_store
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.service} on port {self.port} was never started")
        return self.process.pid

    def start(self) -> "LocalService":
        home = self.log_path.with_name(f"{self.log_path.stem}-bentoml-home")
        home.mkdir(parents=True, exist_ok=True)
        if self.share_model_store:
            models = Path(os.environ["BENTOML_HOME"]).resolve() / "models"
            with contextlib.suppress(FileExistsError):
                (home / "models").symlink_to(models)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
        command = [sys.executable, "-m", "bentoml", "serve", self.service, "--host", "127.0.0.1"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [*command, "--port", str(self.port), *self.arguments],
                env={**inherited, **self.settings, "BENTOML_HOME": str(home)},
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so stop() reaches the workers as Kubernetes does.
                start_new_session=True,
            )
        return self

    def readiness(self) -> int | None:
        return readiness(self.port)

    def wait_until_ready(self, timeout_seconds: float = READY_TIMEOUT_SECONDS) -> float:
        """Seconds until /readyz answered 200."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_seconds:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.service} exited before it was ready:\n{self.tail()}")
            if self.readiness() == 200:
                return time.monotonic() - started
            time.sleep(POLL_SECONDS)
        raise TimeoutError(
            f"{self.service} not ready after {timeout_seconds:g} s; its log:\n{self.tail()}"
        )

    def stop(self, grace_seconds: float = 15) -> bool:
        """SIGTERM to the process group, SIGKILL after `grace_seconds`, as a kubelet does.
        True when it exited within the grace period (or had already stopped)."""
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
        return self.log_path.read_text(errors="replace")

    def tail(self) -> str:
        return self.log()[-LOG_TAIL_CHARACTERS:]


@contextlib.contextmanager
def running(service: str, log_path: Path, **options: object) -> Iterator[LocalService]:
    """A service that is ready inside the block and stopped after it, whatever happens."""
    local = LocalService(service, log_path, **options).start()  # type: ignore[arg-type]
    try:
        local.wait_until_ready()
        yield local
    finally:
        local.stop()
