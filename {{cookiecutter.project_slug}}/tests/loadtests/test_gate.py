"""The Locust gate against the real service: the service as built passes; the same
service with injected faults fails, with a verdict naming the missed SLOs."""

import json
from pathlib import Path

from harness.local_service import LocalService
from tests.locust_run import run_locust


def test_healthy_service_passes_the_gate(server: LocalService, tmp_path: Path) -> None:
    result = run_locust(server.url, tmp_path, "smoke", SMOKE_SECONDS="10")
    verdict = json.loads((tmp_path / "verdict.json").read_text())

    assert result.returncode == 0, result.stdout + result.stderr
    assert verdict["passed"] is True
    assert all(check["passed"] for check in verdict["checks"])
    assert "SLO verdict: PASSED" in result.stdout
    assert (tmp_path / "verdict.md").read_text().startswith("### Load test passed")


def test_faulty_service_fails_the_gate_naming_the_missed_slos(
    faulty_server: LocalService, tmp_path: Path
) -> None:
    result = run_locust(faulty_server.url, tmp_path, "smoke", SMOKE_SECONDS="10")
    verdict = json.loads((tmp_path / "verdict.json").read_text())

    assert result.returncode == 1, result.stdout + result.stderr
    failed = {check["metric"] for check in verdict["checks"] if not check["passed"]}
    assert {"error ratio", "p95 latency"} <= failed
    assert "SLO verdict: FAILED" in result.stdout


def test_stress_ramp_reports_the_highest_throughput_within_the_slos(
    server: LocalService, tmp_path: Path
) -> None:
    run_locust(server.url, tmp_path, "stress", STRESS_STEP_SECONDS="4", STRESS_MAX_USERS="16")
    report = json.loads((tmp_path / "stress.json").read_text())

    assert [step["users"] for step in report["steps"]] == [8, 16]
    assert report["best_requests_per_second"] == max(
        step["requests_per_second"] for step in report["steps"] if step["met"]
    )
    assert report["best_requests_per_second"] > 0
