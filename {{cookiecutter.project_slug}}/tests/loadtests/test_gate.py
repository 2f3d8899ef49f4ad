"""The Locust gate against the real service: the service as built passes; the same
service with injected faults fails, with a verdict naming the missed SLOs."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.running_server import RunningServer
from tests.server_settings import API_KEY

PROJECT = Path(__file__).resolve().parents[2]
RUN_SECONDS = "10"


def run_gate(
    server: RunningServer, report_dir: Path
) -> tuple[subprocess.CompletedProcess[str], dict]:
    loadtests = PROJECT / "loadtests"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        f"{loadtests / 'locustfile.py'},{loadtests / 'shapes' / 'smoke.py'}",
    ]
    command += [
        "--headless",
        "--host",
        server.url,
        "--report-dir",
        str(report_dir),
        "--only-summary",
    ]
    environment = {**os.environ, "SERVICE_API_KEY": API_KEY, "SMOKE_SECONDS": RUN_SECONDS}
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)
    return result, json.loads((report_dir / "verdict.json").read_text())


def test_healthy_service_passes_the_gate(server: RunningServer, tmp_path: Path) -> None:
    result, verdict = run_gate(server, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert verdict["passed"] is True
    assert all(check["passed"] for check in verdict["checks"])
    assert "SLO verdict: PASSED" in result.stdout
    assert (tmp_path / "verdict.md").read_text().startswith("### Load test passed")


def test_faulty_service_fails_the_gate_naming_the_missed_slos(
    faulty_server: RunningServer, tmp_path: Path
) -> None:
    result, verdict = run_gate(faulty_server, tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    failed = {check["metric"] for check in verdict["checks"] if not check["passed"]}
    assert {"error ratio", "p95 latency"} <= failed
    assert "SLO verdict: FAILED" in result.stdout
