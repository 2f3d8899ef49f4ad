"""What each layer declares: the AWS layer only AWS resources, the cluster layer only
Kubernetes ones, and the account bootstrap the state bucket, the keys and CI's identities."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.infra.conftest import ENVIRONMENTS, PROJECT, Plan, planned

ISSUER = "token.actions.githubusercontent.com"
GITHUB_ENVIRONMENTS = {"dev": "staging", "prod": "production"}


@pytest.fixture(scope="module")
def bootstrap(stacks: dict[str, Plan]) -> Plan:
    return stacks["bootstrap"]


def bootstrap_variant(root: Path, *overrides: str) -> Plan:
    """The bootstrap planned into a root of its own, so no other stack reads it."""
    return planned("bootstrap", root / "bootstrap", *overrides)


def statements(document: str) -> list[dict]:
    return json.loads(document)["Statement"]


def granted(plan: Plan, role: str) -> dict[str, list[str]]:
    """Action -> resources the role's inline policy allows."""
    allowed: dict[str, list[str]] = {}
    for statement in statements(plan.one("aws:iam/rolePolicy:RolePolicy", role)["policy"]):
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            allowed.setdefault(action, []).extend(statement["Resource"])
    return allowed


def subject(plan: Plan, role: str) -> str:
    [statement] = statements(plan.one("aws:iam/role:Role", role)["assumeRolePolicy"])
    conditions = statement["Condition"]
    assert set(conditions) == {"StringEquals"}
    assert conditions["StringEquals"][f"{ISSUER}:aud"] == "sts.amazonaws.com"
    return conditions["StringEquals"][f"{ISSUER}:sub"]


def key_arn(plan: Plan, environment: str) -> str:
    return plan.arn("kms", "key", f"state-{environment}-secrets")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_aws_layer_declares_no_kubernetes_resources(
    environment: str, stacks: dict[str, Plan]
) -> None:
    kubernetes = [
        f"{resource['type']} {resource['name']}"
        for resource in stacks[environment].resources
        if resource["type"].startswith("kubernetes:")
        or resource["type"] == "pulumi:providers:kubernetes"
    ]
    assert kubernetes == [], "the AWS layer must need AWS APIs only"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_cluster_layer_declares_no_aws_resources(
    environment: str, stacks: dict[str, Plan]
) -> None:
    aws = [
        f"{resource['type']} {resource['name']}"
        for resource in stacks[f"{environment}-cluster"].resources
        if resource["type"].startswith("aws:")
    ]
    assert aws == [], "the cluster layer must need the Kubernetes API only"


def test_the_bootstrap_declares_neither_kubernetes_resources_nor_an_environment(
    bootstrap: Plan,
) -> None:
    types = {resource["type"] for resource in bootstrap.resources}
    assert not any(kind.startswith("kubernetes:") for kind in types)
    assert "aws:eks/cluster:Cluster" not in types
    assert "aws:ec2/vpc:Vpc" not in types


def test_the_state_bucket_is_versioned_private_encrypted_and_tls_only(bootstrap: Plan) -> None:
    bucket = bootstrap.one("aws:s3/bucket:Bucket", "state-bucket")
    versioning = bootstrap.one("aws:s3/bucketVersioning:BucketVersioning")
    private = bootstrap.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    encryption = bootstrap.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    [deny] = statements(bootstrap.one("aws:s3/bucketPolicy:BucketPolicy")["policy"])

    assert bucket["bucket"] == bootstrap.exports["stateBucket"]
    assert bucket.get("forceDestroy") is not True
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    assert all(
        private[setting] is True
        for setting in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    [rule] = encryption["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = bootstrap.arn("s3", "bucket", "state-bucket")
    assert sorted(deny["Resource"]) == [bucket_arn, f"{bucket_arn}/*"]


def test_each_environment_has_its_own_rotating_secrets_key_with_an_alias(bootstrap: Plan) -> None:
    keys = {
        key["name"]: key["inputs"]
        for key in bootstrap.all("aws:kms/key:Key")
        if key["name"] != "image-signing"  # tests/infra/test_image_signing.py
    }
    aliases = {
        alias["inputs"]["targetKeyId"]: alias["inputs"]["name"]
        for alias in bootstrap.all("aws:kms/alias:Alias")
    }

    assert set(keys) == {f"state-{environment}-secrets" for environment in ENVIRONMENTS}
    assert all(key["enableKeyRotation"] is True for key in keys.values())
    for environment in ENVIRONMENTS:
        alias = aliases[f"state-{environment}-secrets-id"]
        assert alias.startswith("alias/") and f"-{environment}-" in alias
        assert bootstrap.exports["secretsProviders"][environment].startswith(f"awskms://{alias}?")


def test_the_spot_service_linked_role_is_created_once_per_account(bootstrap: Plan) -> None:
    role = bootstrap.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role["awsServiceName"] == "spot.amazonaws.com"


def test_the_spot_role_is_left_alone_when_the_account_already_has_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    without = bootstrap_variant(
        tmp_path_factory.mktemp("no-spot-role"), "createSpotServiceLinkedRole=false"
    )
    assert without.all("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []


def test_the_github_oidc_provider_is_created_for_the_sts_audience(bootstrap: Plan) -> None:
    provider = bootstrap.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider["url"] == f"https://{ISSUER}"
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]


def test_a_given_github_oidc_provider_is_reused_by_every_ci_role(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    existing = f"arn:aws:iam::111122223333:oidc-provider/{ISSUER}"
    reused = bootstrap_variant(
        tmp_path_factory.mktemp("existing-provider"), f"githubOidcProviderArn={existing}"
    )

    assert reused.all("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert reused.exports["githubOidcProviderArn"] == existing
    for role in reused.all("aws:iam/role:Role"):
        [statement] = statements(role["inputs"]["assumeRolePolicy"])
        assert statement["Principal"] == {"Federated": existing}


def test_the_preview_role_is_trusted_by_pull_requests_only_and_decrypts_dev_only(
    bootstrap: Plan,
) -> None:
    repository = bootstrap.exports["githubRepository"]
    allowed = granted(bootstrap, "ci-preview")

    assert subject(bootstrap, "ci-preview") == f"repo:{repository}:pull_request"
    assert allowed["kms:Decrypt"] == [key_arn(bootstrap, "dev")]
    assert not any(action.startswith("kms:") for action in set(allowed) - {"kms:Decrypt"})
    assert not any(action.startswith(("eks:", "iam:", "sts:")) for action in allowed)
    assert all(resource.endswith("/*") for resource in allowed["s3:PutObject"])
    assert all("/.pulumi/locks/" in resource for resource in allowed["s3:PutObject"])


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_cluster_role_is_trusted_by_its_environment_and_touches_only_its_own_state(
    environment: str, bootstrap: Plan
) -> None:
    role = f"ci-{environment}-cluster"
    repository = bootstrap.exports["githubRepository"]
    allowed = granted(bootstrap, role)
    other = next(name for name in ENVIRONMENTS if name != environment)
    writes = allowed["s3:PutObject"] + allowed["s3:DeleteObject"]

    assert subject(bootstrap, role) == (
        f"repo:{repository}:environment:{GITHUB_ENVIRONMENTS[environment]}"
    )
    assert bootstrap.exports["clusterRoleArns"][environment] == bootstrap.arn("iam", "role", role)
    # Its own stack's state, lock, history and backups: every path names `<env>-cluster`.
    assert writes, "the cluster role must write its stack's state"
    for resource in writes:
        assert "/.pulumi/" in resource and resource.endswith("*"), resource
        assert f"/{environment}-cluster" in resource, resource
    for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"):
        assert allowed[action] == [key_arn(bootstrap, environment)]
    assert key_arn(bootstrap, other) not in str(allowed)
    assert not any(
        f"/{other}" in resource for resources in allowed.values() for resource in resources
    )


def test_make_bootstrap_and_provision_use_the_bucket_the_bootstrap_creates(
    bootstrap: Plan,
) -> None:
    # The Makefile names the bucket itself (it must, before the bootstrap exists): the two
    # names must not drift apart.
    result = subprocess.run(
        ["make", "--dry-run", "bootstrap", f"ACCOUNT_ID={bootstrap.account_id}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    [command] = [line for line in result.stdout.splitlines() if "bootstrap.sh" in line]
    assert command.endswith(f"'{bootstrap.exports['backendUrl']}'")
