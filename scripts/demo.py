"""Bake the default project, train its model, serve it and send it real predictions.

Run with `make demo`. The project is baked into build/demo/ (replaced on every run);
the service keeps running until Ctrl+C.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
DEMO_DIRECTORY = TEMPLATE / "build" / "demo"
PORT = int(os.environ.get("PORT", "3000"))
SERVICE_URL = f"http://127.0.0.1:{PORT}"
READY_TIMEOUT_SECONDS = 120

FLOWERS = [
    {"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2},
    {"sepal_length_cm": 6.0, "sepal_width_cm": 2.9, "petal_length_cm": 4.5, "petal_width_cm": 1.5},
    {"sepal_length_cm": 6.7, "sepal_width_cm": 3.0, "petal_length_cm": 5.2, "petal_width_cm": 2.3},
]


def bake() -> Path:
    shutil.rmtree(DEMO_DIRECTORY, ignore_errors=True)
    return Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(DEMO_DIRECTORY)))


def project_environment() -> dict[str, str]:
    """The baked project has its own uv environment; do not leak the template's into it."""
    return {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}


def read_api_key(project: Path) -> str:
    for line in (project / ".env").read_text().splitlines():
        name, _, value = line.partition("=")
        if name == "API_KEY":
            return value
    raise SystemExit(f"API_KEY missing from {project / '.env'}")


def wait_until_ready(server: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"the service exited with code {server.returncode}; see its output above"
            )
        try:
            with urllib.request.urlopen(f"{SERVICE_URL}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"the service was not ready after {READY_TIMEOUT_SECONDS} s")


def predict(api_key: str) -> dict:
    request = urllib.request.Request(
        f"{SERVICE_URL}/predict",
        data=json.dumps({"records": FLOWERS}).encode(),
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def show(answer: dict) -> None:
    print(f"\nPredictions from {answer['model_version']}:")
    for flower, prediction in zip(FLOWERS, answer["predictions"], strict=True):
        confidence = prediction["probabilities"][prediction["label"]]
        print(f"  {json.dumps(flower)}\n    -> {prediction['label']} ({confidence:.1%})")


def main() -> int:
    project = bake()
    environment = project_environment()
    subprocess.run(["make", "-C", str(project), "train", ".env"], check=True, env=environment)
    # Its own process group, so stopping the demo stops make, uv and every server worker.
    server = subprocess.Popen(
        ["make", "-C", str(project), "serve", f"PORT={PORT}"],
        env=environment,
        start_new_session=True,
    )
    # `kill` and timeouts send SIGTERM: leave through `finally` then, as on Ctrl+C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        wait_until_ready(server)
        show(predict(read_api_key(project)))
        print(
            f"\nThe service is running at {SERVICE_URL}"
            f"\n  API docs (Swagger UI): {SERVICE_URL}/"
            f"\n  OpenAPI document:      {SERVICE_URL}/docs.json"
            f"\n  Metrics:               {SERVICE_URL}/metrics"
            f"\n  Project:               {project}"
            f"\n  API key:               in {project / '.env'}"
            "\nPress Ctrl+C to stop."
        )
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
