"""The first push deploys, and no later `pulumi up` undoes a delivery: the AWS layer makes
an empty release record, delivery writes the image it released into it, and the cluster
layer creates the service with whatever it names (infra/cloud/release_record.py)."""

import json

import pytest

from tests.infra.conftest import Plan, run_plan

DIGEST = "sha256:" + "ab" * 32


def record(plan: Plan) -> dict:
    return plan.one("aws:ssm/parameter:Parameter", "released-image")


def released(plan: Plan) -> str:
    return f"{plan.exports['repositoryUrl']}@{DIGEST}"


def test_the_aws_layer_makes_an_empty_record_and_never_writes_it_again(
    stacks: dict[str, Plan],
) -> None:
    for environment in ("dev", "prod"):
        plan = stacks[environment]
        parameter = record(plan)
        [resource] = plan.all("aws:ssm/parameter:Parameter")

        assert parameter["name"] == f"/{plan.exports['project']}/{environment}/released-image"
        assert (parameter["type"], parameter["insecureValue"]) == ("String", "none")
        assert resource["ignoreChanges"] == ["insecureValue"]
        assert plan.exports["releaseRecord"] == parameter["name"]


@pytest.fixture(scope="module")
def before_first_release(plan_variant) -> Plan:
    return plan_variant("dev-cluster", "before-first-release", released_image="none")


@pytest.fixture(scope="module")
def after_a_release(plan_variant, stacks: dict[str, Plan]) -> Plan:
    return plan_variant("dev-cluster", "after-a-release", released_image=released(stacks["dev"]))


def test_before_the_first_release_the_cluster_layer_makes_the_platform_but_no_service(
    before_first_release: Plan, stacks: dict[str, Plan]
) -> None:
    kinds = {manifest["kind"] for manifest in kubernetes_objects(before_first_release)}

    assert {"Namespace", "Role", "ExternalSecret"} <= kinds
    assert not kinds & {"Rollout", "Ingress", "HorizontalPodAutoscaler", "CronJob", "Service"}
    assert "serviceUrl" not in before_first_release.exports
    assert len(stacks["dev-cluster"].resources) > len(before_first_release.resources)


def test_the_service_and_the_drift_job_are_created_with_the_recorded_image(
    after_a_release: Plan, stacks: dict[str, Plan]
) -> None:
    [rollout] = after_a_release.kubernetes("Rollout")
    drift_job = next(
        job
        for job in after_a_release.kubernetes("CronJob")
        if job["metadata"]["name"].endswith("-drift-job")
    )
    [service] = rollout["spec"]["template"]["spec"]["containers"]
    [drift] = drift_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]

    assert service["image"] == drift["image"] == released(stacks["dev"])


@pytest.mark.parametrize(
    "value",
    [
        "latest",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-dev:latest",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-dev@sha256:abc",
    ],
)
def test_a_record_that_is_not_an_image_by_digest_stops_the_plan_before_any_resource(
    value: str, stacks: dict[str, Plan], plan_root
) -> None:
    result = run_plan("dev-cluster", plan_root / "bad-record", released_image=value)

    assert result.returncode == 1
    assert "the program stopped before declaring any resource" in result.stderr
    assert "/released-image holds" in result.stderr
    assert "@sha256:<digest>" in result.stderr


def test_delivery_may_read_and_write_its_own_record_only(plan: Plan, stacks) -> None:
    statements = json.loads(
        plan.one("aws:iam/rolePolicy:RolePolicy", "github-deploy-role")["policy"]
    )["Statement"]
    ssm = [statement for statement in statements if statement["Action"][0].startswith("ssm:")]

    assert ssm == [
        {
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:PutParameter"],
            "Resource": [plan.arn("ssm", "parameter", "released-image")],
        }
    ]


def test_ci_s_cluster_role_may_read_its_environment_s_record_and_nothing_else_in_ssm(
    stacks: dict[str, Plan],
) -> None:
    bootstrap = stacks["bootstrap"]
    for environment in ("dev", "prod"):
        policy = json.loads(
            bootstrap.one("aws:iam/rolePolicy:RolePolicy", f"ci-{environment}-cluster")["policy"]
        )
        ssm = [s for s in policy["Statement"] if any(a.startswith("ssm:") for a in s["Action"])]
        name = record(stacks[environment])["name"]

        # The ARN SSM gives a parameter whose name starts with "/": parameter/<name without it>.
        assert ssm == [
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": [
                    f"arn:aws:ssm:{bootstrap.region}:{bootstrap.account_id}:parameter{name}"
                ],
            }
        ]


def kubernetes_objects(plan: Plan) -> list[dict]:
    return [
        resource["inputs"]
        for resource in plan.resources
        if resource["type"].startswith("kubernetes:") and "kind" in resource["inputs"]
    ]
