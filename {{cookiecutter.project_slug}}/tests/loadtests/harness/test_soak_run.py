"""`make soak` end to end, shortened, against a service that fails a fifth of its
predictions and answers the rest 300 ms late: the harness must say so, window by window."""

import json
from pathlib import Path

import bentoml
import pytest

from harness import soak_run
from tests.server_settings import API_KEY, API_KEYS_FILE


def test_soak_of_a_faulty_service_fails_naming_failures_and_missed_windows(
    stored_model: bentoml.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", API_KEY)
    monkeypatch.setenv("SERVICE_API_KEYS_FILE", API_KEYS_FILE)
    monkeypatch.setenv("FAULT_ERROR_RATIO", "0.2")
    monkeypatch.setenv("FAULT_LATENCY_MS", "300")
    monkeypatch.setenv("SOAK_MINUTES", "0.25")

    exit_code = soak_run.main(
        [
            *("--service", "tests.faulty_service:Classifier", "--report-dir", str(tmp_path)),
            *("--window-seconds", "5", "--memory-interval-seconds", "0.5"),
        ]
    )
    summary = json.loads((tmp_path / "soak.json").read_text())
    windows = json.loads((tmp_path / "windows.json").read_text())

    assert exit_code == 1
    assert summary["failures"] > 0
    assert len(windows["windows"]) == 3
    assert not any(window["passed"] for window in windows["windows"])
    assert windows["windows"][0]["measured"]["p95_latency_ms"] >= 300
    problems = "\n".join(summary["problems"])
    assert "requests failed" in problems
    assert "SLOs missed in the windows starting at 0:00, 0:05, 0:10" in problems
    assert "| 0:05 |" in (tmp_path / "windows.md").read_text()
    memory_rows = (tmp_path / "memory.csv").read_text().splitlines()
    assert memory_rows[0] == "seconds,rss_mib" and len(memory_rows) > 10
    assert summary["memory"]["samples"] > 5
