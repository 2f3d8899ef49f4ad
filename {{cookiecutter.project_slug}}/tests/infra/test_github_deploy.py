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


def test_role_acts_in_the_cluster_only_through_a_role_in_the_app_namespace(plan: Plan) -> None:
    entry = plan.one("aws:eks/accessEntry:AccessEntry", "github-deploy-access")
    namespace = plan.kubernetes("Namespace")[0]["metadata"]["name"]
    [binding] = plan.kubernetes("RoleBinding")
    [role] = plan.kubernetes("Role")

    assert entry["type"] == "STANDARD"
    assert [
        association
        for association in plan.all("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if association["inputs"]["principalArn"] == entry["principalArn"]
    ] == []
    assert plan.kubernetes("ClusterRoleBinding") == []
    assert binding["metadata"]["namespace"] == role["metadata"]["namespace"] == namespace
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}
        for group in entry["kubernetesGroups"]
    ]


def test_deploy_role_may_change_the_rollout_and_drift_job_images_and_nothing_else(
    plan: Plan,
) -> None:
    [role] = plan.kubernetes("Role")
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    writes = {grant for grant in granted if grant[2] not in {"get", "list", "watch"}}

    assert writes == {("argoproj.io", "rollouts", "patch"), ("batch", "cronjobs", "patch")}
    assert ("argoproj.io", "analysisruns", "list") in granted
    assert ("", "pods/log", "get") in granted
    assert not any("*" in grant for grant in granted)
    assert not any(resource == "secrets" for _, resource, _ in granted)


def test_oidc_provider_is_created_for_sts_audience(stacks: dict[str, Plan]) -> None:
    provider = stacks["bootstrap"].one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider["url"] == f"https://{ISSUER}"
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]


EXISTING_PROVIDER = f"arn:aws:iam::111122223333:oidc-provider/{ISSUER}"


@pytest.fixture(scope="module")
def with_existing_provider(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Plan]:
    """The bootstrap given an existing provider, and dev's AWS layer planned beside it
    (in a root of their own, so the other tests' plans read the usual bootstrap)."""
    root = tmp_path_factory.mktemp("existing-oidc")
    bootstrap = planned(
        "bootstrap", root / "bootstrap", f"githubOidcProviderArn={EXISTING_PROVIDER}"
    )
    return {"bootstrap": bootstrap, "dev": planned("dev", root / "dev")}


def test_an_existing_oidc_provider_is_reused_not_duplicated(
    with_existing_provider: dict[str, Plan],
) -> None:
    bootstrap = with_existing_provider["bootstrap"]
    assert bootstrap.all("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert bootstrap.exports["githubOidcProviderArn"] == EXISTING_PROVIDER
    [statement] = trust(with_existing_provider["dev"])["Statement"]
    assert statement["Principal"]["Federated"] == EXISTING_PROVIDER
