"""CI inside the VPC: the CodeBuild runner, the one path to the private cluster API, and
what CI's roles may do in the cluster."""

import json

from tests.infra.conftest import Plan

PROJECT_TYPE = "aws:codebuild/project:Project"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
GITHUB_ENVIRONMENTS = {"dev": "staging", "prod": "production"}


def runner_security_group(plan: Plan) -> str:
    [group] = [
        group["name"]
        for group in plan.all("aws:ec2/securityGroup:SecurityGroup")
        if group["name"].startswith("ci-runner")
    ]
    return group


def test_the_runner_project_is_named_after_the_github_environment(plan: Plan) -> None:
    project = plan.one(PROJECT_TYPE)
    assert project["name"] == f"{plan.exports['project']}-{GITHUB_ENVIRONMENTS[plan.stack]}"
    assert plan.exports["runnerProject"] == project["name"]


def test_the_runner_runs_in_the_private_subnets_with_a_security_group_of_its_own(
    plan: Plan,
) -> None:
    vpc = plan.one(PROJECT_TYPE)["vpcConfig"]
    private = {
        f"{subnet['name']}-id"
        for subnet in plan.all("aws:ec2/subnet:Subnet")
        if "-private-" in subnet["name"]
    }
    group = runner_security_group(plan)

    assert private and set(vpc["subnets"]) == private
    assert vpc["securityGroupIds"] == [f"{group}-id"]
    assert not plan.one("aws:ec2/securityGroup:SecurityGroup", group).get("ingress")
    assert not [
        rule
        for rule in plan.all(INGRESS_RULE)
        if rule["inputs"]["securityGroupId"] == f"{group}-id"
    ], "nothing may connect to the runners"


def test_the_cluster_security_group_admits_https_from_the_runners_only(plan: Plan) -> None:
    group = runner_security_group(plan)
    into_cluster = [
        rule["inputs"]
        for rule in plan.all(INGRESS_RULE)
        if rule["inputs"]["securityGroupId"] == plan.exports["clusterSecurityGroupId"]
    ]

    assert len(into_cluster) == 1
    [rule] = into_cluster
    assert rule["referencedSecurityGroupId"] == f"{group}-id"
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert "cidrIpv4" not in rule


def test_the_webhook_starts_a_build_for_each_queued_workflow_job(plan: Plan) -> None:
    webhook = plan.one("aws:codebuild/webhook:Webhook")
    assert webhook["projectName"] == plan.one(PROJECT_TYPE)["name"]
    assert {"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]} in webhook[
        "filterGroups"
    ]


def test_the_source_uses_the_bootstraps_github_connection(
    plan: Plan, stacks: dict[str, Plan]
) -> None:
    source = plan.one(PROJECT_TYPE)["source"]
    bootstrap = stacks["bootstrap"].exports

    assert source["auth"] == {
        "type": "CODECONNECTIONS",
        "resource": bootstrap["githubConnectionArn"],
    }
    assert source["location"] == f"https://github.com/{bootstrap['githubRepository']}.git"


def test_the_build_role_is_trusted_by_codebuild_only(plan: Plan) -> None:
    project = plan.one(PROJECT_TYPE)
    [role] = [
        role
        for role in plan.all("aws:iam/role:Role")
        if plan.arn("iam", "role", role["name"]) == project["serviceRole"]
    ]
    [statement] = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]

    assert statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(
        f":project/{project['name']}"
    )


def test_cis_cluster_role_is_a_cluster_admin_of_its_own_environment_only(
    plan: Plan, stacks: dict[str, Plan]
) -> None:
    role_arns = stacks["bootstrap"].exports["clusterRoleArns"]
    mine = role_arns[plan.stack]
    entries = {entry["inputs"]["principalArn"]: entry["inputs"] for entry in plan.all(ACCESS_ENTRY)}
    associations = [association["inputs"] for association in plan.all(ACCESS_POLICY)]

    assert entries[mine]["type"] == "STANDARD"
    assert associations == [
        {
            "clusterName": entries[mine]["clusterName"],
            "principalArn": mine,
            "policyArn": CLUSTER_ADMIN,
            "accessScope": {"type": "cluster"},
        }
    ]
    assert (set(role_arns.values()) - {mine}).isdisjoint(entries)


def test_the_deploy_role_gets_a_kubernetes_group_and_no_access_policy(plan: Plan) -> None:
    deploy_role = plan.exports["deployRoleArn"]
    entries = [entry["inputs"] for entry in plan.all(ACCESS_ENTRY)]
    [entry] = [entry for entry in entries if entry["principalArn"] == deploy_role]

    assert entry["type"] == "STANDARD"
    assert entry["kubernetesGroups"] == [f"{plan.exports['project']}:deployers"]
    assert not [
        association
        for association in plan.all(ACCESS_POLICY)
        if association["inputs"]["principalArn"] == deploy_role
    ]


def test_the_prod_cluster_api_is_private(stacks: dict[str, Plan]) -> None:
    endpoint = stacks["prod"].one("aws:eks/cluster:Cluster")["vpcConfig"]
    assert endpoint["endpointPublicAccess"] is False
    assert endpoint["endpointPrivateAccess"] is True
    assert not endpoint.get("publicAccessCidrs")
