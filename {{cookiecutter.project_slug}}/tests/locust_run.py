"""Run the project's Locust load tests as a user would: a subprocess with a shape file."""

import os
import subprocess
import sys
from pathlib import Path

from tests.server_settings import API_KEY

LOADTESTS = Path(__file__).resolve().parents[1] / "loadtests"


def locust_command(host: str, report_dir: Path, shape: str) -> list[str]:
    locustfiles = f"{LOADTESTS / 'locustfile.py'},{LOADTESTS / 'shapes' / f'{shape}.py'}"
    command = [sys.executable, "-m", "locust", "-f", locustfiles, "--headless", "--only-summary"]
    return [*command, "--host", host, "--report-dir", str(report_dir)]


def locust_environment(**settings: str) -> dict[str, str]:
    return {**os.environ, "API_KEY": API_KEY, **settings}


def run_locust(
    host: str, report_dir: Path, shape: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        locust_command(host, report_dir, shape),
        env=locust_environment(**settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
