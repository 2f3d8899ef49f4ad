"""Signing that works on any GitHub plan: the bootstrap's asymmetric KMS key, used by
cosign through `awskms://`. Staging's deploy role (where images are built) may sign;
production's may only read the public key, and pull what staging built so that it can
promote the digest instead of rebuilding it."""

import json

import pytest

from tests.delivery.workflows import delivery_settings
from tests.infra.conftest import Plan

# sigstore/sigstore pkg/signature/kms/aws/client.go (v1.10.8, what cosign v3.1.2 uses):
# signing calls DescribeKey (key spec and algorithms), GetPublicKey and Sign; verifying
# calls DescribeKey and GetPublicKey and checks the signature locally (never kms:Verify).
COSIGN_SIGNS_WITH = {"kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"}
COSIGN_VERIFIES_WITH = {"kms:DescribeKey", "kms:GetPublicKey"}
# The key specs sigstore's AWS KMS signer accepts for ECDSA: P-256 is cosign's default.
COSIGN_KEY_SPECS = {"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"}


def deploy_statements(plan: Plan) -> list[dict]:
    return json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "github-deploy-role")["policy"])[
        "Statement"
    ]


def granted_on(plan: Plan, resource: str) -> set[str]:
    return {
        action
        for statement in deploy_statements(plan)
        if resource in statement["Resource"]
        for action in statement["Action"]
    }


@pytest.fixture(scope="module")
def key_arn(stacks: dict[str, Plan]) -> str:
    return stacks["bootstrap"].exports["imageSigningKeyArn"]


def test_the_key_signs_with_ecdsa_p256_and_is_protected(stacks: dict[str, Plan]) -> None:
    bootstrap = stacks["bootstrap"]
    key = bootstrap.one("aws:kms/key:Key", "image-signing")
    [resource] = [r for r in bootstrap.all("aws:kms/key:Key") if r["name"] == "image-signing"]

    assert key["keyUsage"] == "SIGN_VERIFY"
    assert key["customerMasterKeySpec"] in COSIGN_KEY_SPECS
    # AWS refuses automatic rotation for asymmetric keys.
    assert not key.get("enableKeyRotation")
    assert resource.get("protect") is True


def test_delivery_names_the_key_by_the_alias_the_bootstrap_gives_it(
    stacks: dict[str, Plan], key_arn: str
) -> None:
    alias = stacks["bootstrap"].one("aws:kms/alias:Alias", "image-signing")

    assert delivery_settings()["IMAGE_SIGNING_KEY"] == f"awskms:///{alias['name']}"
    assert alias["targetKeyId"] == key_arn


def test_staging_may_sign_and_production_may_only_verify(
    stacks: dict[str, Plan], key_arn: str
) -> None:
    assert granted_on(stacks["dev"], key_arn) == COSIGN_SIGNS_WITH
    assert granted_on(stacks["prod"], key_arn) == COSIGN_VERIFIES_WITH


def test_production_may_pull_from_staging_s_repository_and_push_nowhere_else(
    stacks: dict[str, Plan],
) -> None:
    dev, prod = stacks["dev"], stacks["prod"]
    staging_repository = dev.one("aws:ecr/repository:Repository")["name"]
    source = f"arn:aws:ecr:{prod.region}:{prod.account_id}:repository/{staging_repository}"

    assert granted_on(prod, source) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    }
    assert not any(
        "ecr:PutImage" in statement["Action"] and source in statement["Resource"]
        for statement in deploy_statements(prod)
    )
    # Staging promotes from nobody.
    own_repository = dev.arn("ecr", "repository", "registry-repository")
    assert not any(
        "repository/" in resource and resource != own_repository
        for statement in deploy_statements(dev)
        for resource in statement["Resource"]
    )
