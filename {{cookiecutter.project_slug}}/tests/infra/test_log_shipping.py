"""Containers' logs to CloudWatch: the groups, their key, the agent's role and routing, and
the saved queries, each checked against what the real service writes."""

import fnmatch
import json
import re

import httpx
import yaml

from cloud.log_shipping import MERGED_KEY, PURPOSES, QUERIES
from cloud.stack_config import LOG_RETENTION_DAYS
from harness.local_service import LocalService
from tests.infra.conftest import PROJECT, Plan
from tests.records import EXAMPLE

GROUP = "aws:cloudwatch/logGroup:LogGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
# What Fluent Bit's kubernetes filter adds under `kubernetes` (fluent-bit-docs,
# pipeline/filters/kubernetes.md).
KUBERNETES_FIELDS = {
    "pod_name",
    "namespace_name",
    "pod_id",
    "labels",
    "annotations",
    "host",
    "container_name",
    "docker_id",
    "container_hash",
    "container_image",
}
# A query's fields of the record: the pod's, and those of the line's own JSON.
QUERY_FIELD = re.compile(r"\b(kubernetes|" + MERGED_KEY + r")\.(\w+)")
CONTAINER_ID = "0123456789abcdef" * 4


def groups(plan: Plan) -> dict[str, dict]:
    """The environment's log groups, by purpose (their name's last part); the CI runner's
    build logs have a group of their own."""
    prefix = f"/{plan.exports['project']}/{plan.stack}/"
    planned = [resource["inputs"] for resource in plan.all(GROUP)]
    return {
        group["name"].removeprefix(prefix): group
        for group in planned
        if group["name"].startswith(prefix)
    }


def agent_values(plan: Plan) -> dict:
    return plan.one(RELEASE, "logs-agent")["values"]


def outputs(plan: Plan) -> list[dict[str, str]]:
    """The agent's [OUTPUT] sections, as Fluent Bit reads them: a key and a value a line."""
    sections = []
    for line in agent_values(plan)["additionalOutputs"].splitlines():
        if line.strip() == "[OUTPUT]":
            sections.append({})
        elif line.strip():
            key, value = line.split(maxsplit=1)
            sections[-1][key] = value
    return sections


def routed_to(plan: Plan, namespace: str, container: str) -> list[str]:
    """The groups a line of this container goes to: Fluent Bit sends a record to every
    output whose Match_Regex (Onigmo; these use only what Python's re reads the same way)
    matches its tag."""
    tag = f"kube.var.log.containers.pod-7d9f_{namespace}_{container}-{CONTAINER_ID}.log"
    return [
        output["log_group_name"].rsplit("/", 1)[1]
        for output in outputs(plan)
        if re.search(output["Match_Regex"], tag)
    ]


def test_a_group_per_purpose_kept_for_the_stacks_retention_with_its_own_key(plan: Plan) -> None:
    planned = groups(plan)
    assert set(planned) == set(PURPOSES)
    stack_file = yaml.safe_load((PROJECT / "infra" / f"Pulumi.{plan.stack}.yaml").read_text())
    retention = stack_file["config"][f"{plan.exports['project']}:logs"]["retentionDays"]
    assert retention in LOG_RETENTION_DAYS
    for group in planned.values():
        assert group["retentionInDays"] == retention
        assert group["kmsKeyId"] == plan.arn("kms", "key", "logs-key")
    assert plan.one("aws:kms/key:Key", "logs-key")["enableKeyRotation"] is True


def test_cloudwatch_logs_may_use_the_key_for_this_environments_groups_only(plan: Plan) -> None:
    policy = json.loads(plan.one("aws:kms/key:Key", "logs-key")["policy"])
    [logs] = [
        statement
        for statement in policy["Statement"]
        if statement["Principal"] == {"Service": f"logs.{plan.region}.amazonaws.com"}
    ]
    [pattern] = logs["Condition"]["StringLike"].values()
    arn = f"arn:aws:logs:{plan.region}:{plan.account_id}:log-group:"
    for group in groups(plan).values():
        assert fnmatch.fnmatchcase(arn + group["name"], pattern)
    other = "prod" if plan.stack == "dev" else "dev"
    assert not fnmatch.fnmatchcase(f"{arn}/{plan.exports['project']}/{other}/service", pattern)
    # The account keeps administering it: a key policy without this locks everyone out.
    assert any(
        statement["Principal"] == {"AWS": f"arn:aws:iam::{plan.account_id}:root"}
        for statement in policy["Statement"]
    )


def test_the_agent_may_only_add_streams_and_events_to_the_groups(plan: Plan) -> None:
    [statement] = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "logs-agent")["policy"])[
        "Statement"
    ]

    def allowed(action: str, resource: str) -> bool:
        return action in statement["Action"] and any(
            fnmatch.fnmatchcase(resource, pattern) for pattern in statement["Resource"]
        )

    arn = f"arn:aws:logs:{plan.region}:{plan.account_id}:log-group:"
    for group in groups(plan).values():
        stream = f"{arn}{group['name']}:log-stream:pod-7d9f.service"
        # IAM checks CreateLogStream on the group, PutLogEvents on the stream.
        assert allowed("logs:CreateLogStream", arn + group["name"])
        assert allowed("logs:PutLogEvents", stream)
        for action in ("logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup"):
            assert not allowed(action, arn + group["name"])
    assert not allowed("logs:PutLogEvents", f"{arn}/aws/lambda/other:log-stream:x")
    association = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "logs-agent")
    values = agent_values(plan)
    assert association["serviceAccount"] == values["serviceAccount"]["name"]
    assert association["namespace"] == plan.one(RELEASE, "logs-agent")["namespace"]


def test_each_line_goes_to_its_purposes_group_and_to_no_other(plan: Plan) -> None:
    app = plan.exports["appNamespace"]
    assert routed_to(plan, app, "service") == ["service"]
    for job_container in ("locust", "drift", "batch", "service-sidecar", "services"):
        assert routed_to(plan, app, job_container) == ["jobs"], job_container
    for namespace, container in [
        ("karpenter", "controller"),
        ("logging", "aws-for-fluent-bit"),
        ("kube-system", "aws-node"),
        (f"{app}-other", "service"),
        ("monitoring", "service"),
    ]:
        assert routed_to(plan, namespace, container) == ["platform"], (namespace, container)


def test_the_agent_writes_only_to_the_groups_that_exist_and_parses_json_lines(plan: Plan) -> None:
    planned = {group["name"] for group in groups(plan).values()}
    assert {output["log_group_name"] for output in outputs(plan)} == planned
    for output in outputs(plan):
        assert output["Name"] == "cloudwatch_logs"
        assert output["region"] == plan.region
        # Neither makes groups nor sets their retention: the stack does, with its key.
        assert output["auto_create_group"] == "Off"
        assert "log_retention_days" not in output
    values = agent_values(plan)
    assert values["filter"] == {"mergeLog": "On", "mergeLogKey": MERGED_KEY, "keepLog": "Off"}
    # The chart's own outputs (one to a group it would create) are all off.
    chart_outputs = [key for key, value in values.items() if isinstance(value, dict)]
    assert all(
        values[key] == {"enabled": False}
        for key in chart_outputs
        if key not in {"serviceAccount", "filter"}
    )


def test_every_saved_query_reads_the_service_group_and_fields_its_lines_carry(
    plan: Plan, client: httpx.Client, server: LocalService
) -> None:
    client.post("/predict", json={"records": [EXAMPLE]}, headers={"X-Request-ID": "query-check"})
    client.post("/predict", json={"records": []})
    lines = server.log().splitlines()
    # Every line is one JSON object, but the CLI's banner before the workers start.
    assert all(line.startswith("{") or "[cli] Starting" in line for line in lines)
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    access = [entry for entry in entries if entry["message"] == "request served"]
    served = next(entry for entry in access if entry.get("request_id") == "query-check")

    definitions = plan.all("aws:cloudwatch/queryDefinition:QueryDefinition")
    assert {definition["inputs"]["queryString"] for definition in definitions} == set(
        QUERIES.values()
    )
    service_group = groups(plan)["service"]["name"]
    for definition in definitions:
        inputs = definition["inputs"]
        assert inputs["logGroupNames"] == [service_group]
        for source, field in QUERY_FIELD.findall(inputs["queryString"]):
            if source == "kubernetes":
                assert field in KUBERNETES_FIELDS, (inputs["name"], field)
            else:
                assert field in served, (inputs["name"], field, served)
