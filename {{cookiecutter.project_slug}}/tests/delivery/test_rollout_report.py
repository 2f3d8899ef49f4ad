"""A failed canary is explained from its AnalysisRuns: which metric failed, with what value,
and which Locust Job to read."""

import json
import os
from pathlib import Path

import pytest

from rollout_report import job_names, main, runs_of, summary
from tests.infra.crd_schemas import load_schemas, violations

ROLLOUT = "iris-classifier"


def analysis_run(name: str, created: str, owner: str = ROLLOUT, **status: object) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {
            "name": name,
            "namespace": "iris-classifier",
            "creationTimestamp": created,
            "ownerReferences": [
                {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": owner, "uid": "1"}
            ],
        },
        "spec": {
            "metrics": [{"name": "locust-gate", "provider": {"job": {"spec": {"template": {}}}}}]
        },
        "status": status,
    }


FAILED_GATE = analysis_run(
    "iris-classifier-7d9f-2-1",
    "2026-11-25T10:05:00Z",
    phase="Failed",
    message='Metric "locust-gate" assessed Failed due to failed (1) > failureLimit (0)',
    metricResults=[
        {
            "name": "locust-gate",
            "phase": "Failed",
            "count": 1,
            "failed": 1,
            "measurements": [
                {
                    "phase": "Failed",
                    "startedAt": "2026-11-25T10:05:01Z",
                    "finishedAt": "2026-11-25T10:06:10Z",
                    "metadata": {"job-name": "0b6e2c1a.locust-gate.1"},
                }
            ],
        }
    ],
)
EARLIER_SUCCESS = analysis_run(
    "iris-classifier-5c4b-1-3",
    "2026-11-24T09:00:00Z",
    phase="Successful",
    metricResults=[
        {
            "name": "error-ratio",
            "phase": "Successful",
            "count": 5,
            "successful": 5,
            "measurements": [{"phase": "Successful", "value": "[0.002]"}],
        }
    ],
)
OTHER_ROLLOUT = analysis_run("other-1-1", "2026-11-25T11:00:00Z", owner="other", phase="Failed")
RUNS = {"items": [EARLIER_SUCCESS, OTHER_ROLLOUT, FAILED_GATE]}


def test_only_the_rollouts_own_runs_count_newest_first() -> None:
    assert [run["metadata"]["name"] for run in runs_of(RUNS, ROLLOUT)] == [
        "iris-classifier-7d9f-2-1",
        "iris-classifier-5c4b-1-3",
    ]


def test_the_summary_names_the_failed_metric_and_its_measurements() -> None:
    report = summary(runs_of(RUNS, ROLLOUT))

    assert report.index("iris-classifier-7d9f-2-1`: Failed") < report.index("5c4b-1-3`: Successful")
    assert "| locust-gate | Failed | 1 | 1 |" in report
    assert "| error-ratio | Successful | 5 | 0 | [0.002] |" in report


def test_the_locust_gate_jobs_are_listed_for_their_logs() -> None:
    assert job_names(runs_of(RUNS, ROLLOUT)) == ["0b6e2c1a.locust-gate.1"]


def test_no_analysis_at_all_says_so() -> None:
    assert "No AnalysisRun found" in summary([])


def test_the_command_reads_kubectls_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "analysisruns.json"
    path.write_text(json.dumps(RUNS))

    assert main(["jobs", str(path), "--rollout", ROLLOUT]) == 0
    assert capsys.readouterr().out.strip() == "0b6e2c1a.locust-gate.1"


def test_the_example_runs_have_the_shape_the_crd_defines() -> None:
    directory = os.environ.get("CRD_SCHEMA_DIR")
    if not directory:
        pytest.skip("CRD_SCHEMA_DIR is not set: no CRD schemas to check the examples against")
    schema = load_schemas(Path(directory))[("argoproj.io/v1alpha1", "AnalysisRun")]
    for run in RUNS["items"]:
        assert violations(run, schema) == []
