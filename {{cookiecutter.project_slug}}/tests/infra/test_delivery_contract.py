"""The workflows and the Pulumi program agree: the Rollout, container and variables the
workflows name are the ones the program declares and exports."""

import re
import tomllib

import pytest

from cloud.helm_charts import ARGO_ROLLOUTS_CONTROLLER_VERSION
from github_variables import (
    AWS_LAYER_VARIABLES,
    BOOTSTRAP_VARIABLES,
    CLUSTER_LAYER_VARIABLES,
    CLUSTER_ROLE_VARIABLE,
    PROVISIONED_VARIABLE,
    RUNNER_PREFIX_VARIABLE,
    cluster_role_arn,
    runner_project_prefix,
)
from tests.delivery.workflows import PROJECT, delivery_settings, runs, workflow
from tests.infra.conftest import ENVIRONMENTS, Plan


def test_workflows_drive_the_rollout_and_container_the_program_declares(plan: Plan) -> None:
    [rollout] = plan.kubernetes("Rollout")
    containers = [
        container["name"] for container in rollout["spec"]["template"]["spec"]["containers"]
    ]
    [set_image] = [
        script
        for script in runs(workflow("deliver")["jobs"]["deploy"])
        if "rollouts set image" in script
    ]

    assert rollout["metadata"]["name"] == delivery_settings()["ROLLOUT_NAME"]
    assert '"service=' in set_image and "service" in containers


def test_the_canary_meets_the_locust_slo_gate_before_any_traffic(plan: Plan) -> None:
    [rollout] = plan.kubernetes("Rollout")
    steps = rollout["spec"]["strategy"]["canary"]["steps"]
    first_analysis = next(step["analysis"] for step in steps if "analysis" in step)
    first_weight = next(index for index, step in enumerate(steps) if "setWeight" in step)
    [gate] = [
        template
        for template in plan.kubernetes("AnalysisTemplate")
        if template["metadata"]["name"] == first_analysis["templates"][0]["templateName"]
    ]

    assert steps.index({"analysis": first_analysis}) < first_weight
    assert "job" in gate["spec"]["metrics"][0]["provider"]


def test_the_kubectl_plugin_matches_the_installed_controller() -> None:
    assert delivery_settings()["ARGO_ROLLOUTS_VERSION"] == ARGO_ROLLOUTS_CONTROLLER_VERSION


def test_every_variable_the_workflows_read_comes_from_a_stack_output(
    stacks: dict[str, Plan],
) -> None:
    read = set()
    for name in ("deploy", "build", "deliver", "rollback", "infra"):
        read |= set(re.findall(r"vars\.(\w+)", str(workflow(name))))

    for environment in ENVIRONMENTS:
        aws = stacks[environment].exports
        assert {*AWS_LAYER_VARIABLES, "project", "runnerProject", "githubEnvironment"} <= set(aws)
        assert set(CLUSTER_LAYER_VARIABLES) <= set(stacks[f"{environment}-cluster"].exports)
        assert runner_project_prefix(aws) == aws["project"]
        assert cluster_role_arn(stacks["bootstrap"].exports, environment).endswith(
            f"/ci-{environment}-cluster"
        )
    assert set(BOOTSTRAP_VARIABLES) <= set(stacks["bootstrap"].exports)
    assert read == {
        *AWS_LAYER_VARIABLES.values(),
        *CLUSTER_LAYER_VARIABLES.values(),
        *BOOTSTRAP_VARIABLES.values(),
        CLUSTER_ROLE_VARIABLE,
        RUNNER_PREFIX_VARIABLE,
        PROVISIONED_VARIABLE,
    }


def test_pulumi_cli_in_the_workflows_matches_the_pinned_sdk() -> None:
    groups = tomllib.loads((PROJECT / "pyproject.toml").read_text())["dependency-groups"]
    [sdk] = [pin.split("==")[1] for pin in groups["infra"] if pin.startswith("pulumi==")]
    pulumi_steps = [
        step
        for name in ("infra", "deliver")
        for job in workflow(name)["jobs"].values()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("pulumi/")
    ]
    assert len(pulumi_steps) == 3, "preview and up in infra.yml, the first release's up"
    assert {step["with"]["pulumi-version"] for step in pulumi_steps} == {sdk}


@pytest.mark.parametrize("job", ["drift-job", "batch"])
def test_the_cron_jobs_delivery_updates_are_the_ones_the_program_declares(
    plan: Plan, job: str
) -> None:
    set_image = (PROJECT / "delivery" / "record-release.sh").read_text()
    rollout_name = delivery_settings()["ROLLOUT_NAME"]
    [cron_job] = [
        declared
        for declared in plan.kubernetes("CronJob")
        if declared["metadata"]["name"] == f"{rollout_name}-{job}"
    ]
    [container] = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]

    assert f'"cronjob/${{ROLLOUT_NAME}}-{job}"' in set_image
    assert f'"{container["name"]}=' in set_image
