import json

import pytest

from tests.infra.conftest import Plan, planned

ISSUER = "token.actions.githubusercontent.com"


def trust(plan: Plan) -> dict:
    return json.loads(plan.one("aws:iam/role:Role", "github-deploy-role")["assumeRolePolicy"])


def test_only_this_repositorys_deploy_environment_can_assume_the_role(plan: Plan) -> None:
    [statement] = trust(plan)["Statement"]
    conditions = statement["Condition"]

    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert set(conditions) == {"StringEquals"}, (
        "no StringLike: a pattern could match other repositories"
    )
    assert conditions["StringEquals"][f"{ISSUER}:aud"] == "sts.amazonaws.com"
    subject = conditions["StringEquals"][f"{ISSUER}:sub"]
    environment = "staging" if plan.stack == "dev" else "production"
    assert subject.startswith("repo:") and subject.endswith(f":environment:{environment}")
    assert "*" not in subject and "?" not in subject


def test_role_may_push_to_this_repository_and_describe_this_cluster_only(plan: Plan) -> None:
    statements = json.loads(
        plan.one("aws:iam/rolePolicy:RolePolicy", "github-deploy-role")["policy"]
    )["Statement"]
    by_resource = {tuple(statement["Resource"]): statement["Action"] for statement in statements}

    assert by_resource[("*",)] == ["ecr:GetAuthorizationToken"]
    assert "ecr:PutImage" in by_resource[(plan.arn("ecr", "repository", "registry-repository"),)]
    assert by_resource[(plan.arn("eks", "cluster", "cluster-cluster"),)] == ["eks:DescribeCluster"]


def test_role_acts_in_the_cluster_only_inside_the_app_namespace(plan: Plan) -> None:
    association = plan.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    namespace = plan.kubernetes("Namespace")[0]["metadata"]["name"]
    assert plan.one("aws:eks/accessEntry:AccessEntry", "github-deploy-access")["type"] == "STANDARD"
    assert association["accessScope"] == {"type": "namespace", "namespaces": [namespace]}
    assert association["policyArn"].endswith("/AmazonEKSEditPolicy")


def test_oidc_provider_is_created_for_sts_audience(plan: Plan) -> None:
    provider = plan.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider["url"] == f"https://{ISSUER}"
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]


@pytest.fixture(scope="module")
def with_existing_provider(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    arn = f"arn:aws:iam::111122223333:oidc-provider/{ISSUER}"
    return planned("dev", tmp_path_factory.mktemp("existing-oidc"), f"githubOidcProviderArn={arn}")


def test_an_existing_oidc_provider_is_reused_not_duplicated(with_existing_provider: Plan) -> None:
    assert with_existing_provider.all("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    [statement] = trust(with_existing_provider)["Statement"]
    assert (
        statement["Principal"]["Federated"] == f"arn:aws:iam::111122223333:oidc-provider/{ISSUER}"
    )
