"""`make rollover` end to end with short phases: three real service processes (two, then
one replaced), the proxy, and Locust."""

import json
from pathlib import Path

import bentoml
import pytest

from harness import rollover
from tests.server_settings import API_KEY, API_KEYS_FILE, SERVICE


def test_replacing_a_replica_under_load_loses_no_request(
    stored_model: bentoml.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", API_KEY)
    monkeypatch.setenv("SERVICE_API_KEYS_FILE", API_KEYS_FILE)

    exit_code = rollover.main(
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
    assert steps["sigterm"] - steps["withdrawn"] >= rollover.PRESTOP_SECONDS - 0.01
    assert sorted(steps.values()) == list(steps.values())
