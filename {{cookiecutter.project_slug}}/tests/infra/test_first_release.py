"""The first release is judged by the same Locust gate as every canary: the AnalysisRun
delivery/first_release_run.py makes from the planned gate template carries the template's
metrics unchanged, is owned by the Rollout, and is valid for Argo Rollouts' own CRD."""

import copy
import os
from pathlib import Path

import pytest

from first_release_run import FIRST_RELEASE_LABEL, analysis_run

from tests.infra.conftest import Plan
from tests.infra.crd_schemas import load_schemas, violations

UID = "6f1c2b9e-3d4a-4c1e-9a57-0d1b2c3d4e5f"


def template(plan: Plan, name: str) -> dict:
    return next(
        manifest
        for manifest in plan.kubernetes("AnalysisTemplate")
        if manifest["metadata"]["name"] == name
    )


def live_rollout(plan: Plan) -> dict:
    """The planned Rollout as `kubectl get -o json` returns it: with the uid it was given."""
    [rollout] = plan.kubernetes("Rollout")
    rollout = copy.deepcopy(rollout)
    rollout["metadata"]["uid"] = UID
    return rollout


def test_the_gate_runs_the_template_s_metrics_owned_by_the_rollout(plan: Plan) -> None:
    gate = template(plan, "locust-gate")
    rollout = live_rollout(plan)
    run = analysis_run(gate, rollout)

    assert run["kind"] == "AnalysisRun"
    assert run["spec"] == {"metrics": gate["spec"]["metrics"]}
    assert run["metadata"]["namespace"] == rollout["metadata"]["namespace"]
    assert run["metadata"]["generateName"] == f"{rollout['metadata']['name']}-first-release-"
    assert run["metadata"]["labels"] == {FIRST_RELEASE_LABEL: "true"}
    [owner] = run["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"]) == (
        "Rollout",
        rollout["metadata"]["name"],
        UID,
    )


def test_a_template_that_needs_arguments_is_refused_by_name(plan: Plan) -> None:
    with pytest.raises(ValueError, match="canary-metrics takes arguments"):
        analysis_run(template(plan, "canary-metrics"), live_rollout(plan))


def test_the_run_is_valid_for_argo_rollouts(plan: Plan) -> None:
    directory = os.environ.get("CRD_SCHEMA_DIR")
    if not directory:
        pytest.skip("CRD_SCHEMA_DIR is not set: no CRD schemas to validate against")
    schema = load_schemas(Path(directory))[("argoproj.io/v1alpha1", "AnalysisRun")]
    run = analysis_run(template(plan, "locust-gate"), live_rollout(plan))

    assert violations(run, schema) == []
