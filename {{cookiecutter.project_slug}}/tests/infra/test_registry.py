import fnmatch
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
        # Each release is three images to ECR: itself, its signatures, its attestations.
        "countNumber": 3 * (30 if plan.stack == "dev" else 100),
    }


@pytest.mark.parametrize(
    ("tag", "movable"),
    [
        ("buildcache", True),
        # cosign's signatures and attestations of an image, rewritten as they are added.
        (f"sha256-{'0f' * 32}.sig", True),
        (f"sha256-{'0f' * 32}.att", True),
        # A release: the commit it was built from.
        ("3d3c42e5aac5ba805825da76410c181273ba90b1", False),
        ("latest", False),
    ],
)
def test_only_the_build_cache_and_cosign_s_tags_can_be_overwritten(
    plan: Plan, tag: str, movable: bool
) -> None:
    filters = plan.one("aws:ecr/repository:Repository")["imageTagMutabilityExclusionFilters"]

    # ECR allows 1 to 5 filters, WILDCARD the only type; `*` matches any characters.
    assert 1 <= len(filters) <= 5
    assert {entry["filterType"] for entry in filters} == {"WILDCARD"}
    assert any(fnmatch.fnmatchcase(tag, entry["filter"]) for entry in filters) is movable


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
