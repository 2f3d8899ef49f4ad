import json

import pytest

from tests.infra.conftest import Plan


def test_repository_is_immutable_scanned_and_encrypted_with_a_rotating_customer_key(
    plan: Plan,
) -> None:
    repository = plan.one("aws:ecr/repository:Repository")
    key = plan.one("aws:kms/key:Key", "registry-key")

    assert repository["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    [encryption] = repository["encryptionConfigurations"]
    assert encryption["encryptionType"] == "KMS"
    assert encryption["kmsKey"].startswith("arn:aws:kms:")
    assert encryption["kmsKey"].endswith(":key/registry-key")
    assert key["enableKeyRotation"] is True
    assert repository.get("forceDelete") is not True


def test_lifecycle_expires_untagged_images_and_keeps_the_configured_releases(plan: Plan) -> None:
    rules = json.loads(plan.one("aws:ecr/lifecyclePolicy:LifecyclePolicy")["policy"])["rules"]
    untagged, releases = rules

    assert untagged["selection"]["tagStatus"] == "untagged"
    assert untagged["action"]["type"] == "expire"
    assert releases["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 30 if plan.stack == "dev" else 100,
    }


def test_only_the_build_cache_tag_can_be_overwritten(plan: Plan) -> None:
    repository = plan.one("aws:ecr/repository:Repository")

    assert repository["imageTagMutabilityExclusionFilters"] == [
        {"filter": "buildcache", "filterType": "WILDCARD"}
    ]


def test_basic_scanning_is_the_default_and_leaves_the_registry_alone(plan: Plan) -> None:
    assert plan.all("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration") == []


@pytest.fixture(scope="module")
def with_enhanced_scanning(plan_variant) -> Plan:
    return plan_variant("prod", "enhanced-scanning", "ecrScanning=enhanced")


def test_enhanced_scanning_rescans_this_repository_continuously(
    with_enhanced_scanning: Plan,
) -> None:
    scanning = with_enhanced_scanning.one(
        "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
    )
    repository = with_enhanced_scanning.one("aws:ecr/repository:Repository")

    assert scanning["scanType"] == "ENHANCED"
    assert scanning["rules"] == [
        {
            "scanFrequency": "CONTINUOUS_SCAN",
            "repositoryFilters": [{"filter": repository["name"], "filterType": "WILDCARD"}],
        }
    ]
