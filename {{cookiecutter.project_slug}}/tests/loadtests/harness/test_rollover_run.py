"""`make rollover` end to end with short phases: three real service processes (two, then
one replaced), the proxy, and Locust."""

import json
import os
import subprocess
import sys
from pathlib import Path

import bentoml
import pytest

from harness import rollover_run
from tests.server_settings import API_KEY, API_KEYS_FILE, SERVICE


def test_replacing_a_replica_under_load_loses_no_request(
    stored_model: bentoml.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", API_KEY)
    monkeypatch.setenv("SERVICE_API_KEYS_FILE", API_KEYS_FILE)

    exit_code = rollover_run.main(
        ["--service", SERVICE, "--report-dir", str(tmp_path), "--phase-seconds", "2"]
    )
    report = json.loads((tmp_path / "rollover.json").read_text())

    assert exit_code == 0, report["problems"]
    assert [phase["name"] for phase in report["phases"]] == [
        "before",
        "during the switch",
        "after",
    ]
    assert all(phase["requests"] >= 10 and phase["failures"] == 0 for phase in report["phases"])
    steps = report["seconds_since_start"]
    assert list(steps) == ["withdrawn", "sigterm", "exited", "new_ready", "added"]
    # Times are rounded to 10 ms in the report.
    assert steps["sigterm"] - steps["withdrawn"] >= rollover_run.PRESTOP_SECONDS - 0.01
    assert sorted(steps.values()) == list(steps.values())


def test_the_harness_reads_the_pods_timings_without_importing_pulumi() -> None:
    """The harness shares the pod's shutdown timings with infra/, not its dependencies."""
    project = Path(__file__).resolve().parents[3]
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, harness.rollover_run; "
            "print(sorted({m.split('.')[0] for m in sys.modules}))",
        ],
        env={**os.environ, "PYTHONPATH": f"{project / 'loadtests'}:{project / 'infra'}"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'pulumi'" not in loaded and "'pulumi_aws'" not in loaded
    assert "'harness'" in loaded
