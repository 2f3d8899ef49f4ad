"""The ECR repository the delivery pipeline pushes to: immutable tags (every image is a
commit SHA; only the build cache's and cosign's tags move), scanned on push, encrypted with
a customer key, and pruned."""

import json

import pulumi
import pulumi_aws as aws

from .encryption import rotating_key
from .naming import component_type, tags
from .stack_config import AwsLayerConfig

# Images without a tag are left-overs of failed or replaced pushes.
UNTAGGED_IMAGE_DAYS = 1
# Delivery keeps its Docker layer cache under this one tag, rewritten by every build.
BUILD_CACHE_TAG = "buildcache"
# cosign keeps an image's signatures and attestations under `sha256-<digest>.sig` and
# `.att`, and rewrites them when it adds one (the SBOM, then the provenance) or when
# `cosign copy` brings them into production's registry. Every other tag (a commit SHA)
# can never be moved.
SIGNATURE_TAGS = "sha256-*"
MUTABLE_TAGS = (BUILD_CACHE_TAG, SIGNATURE_TAGS)
# ECR counts each of those as an image: a release is the image, its `.sig` and its `.att`.
IMAGES_PER_RELEASE = 3


def lifecycle_policy(releases_kept: int) -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {UNTAGGED_IMAGE_DAYS} day",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": UNTAGGED_IMAGE_DAYS,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the last {releases_kept} releases and their signatures",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": releases_kept * IMAGES_PER_RELEASE,
                    },
                    "action": {"type": "expire"},
                },
            ]
        }
    )


class Registry(pulumi.ComponentResource):
    repository_arn: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, config: AwsLayerConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(component_type(config, "Registry"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        key = rotating_key(f"{name}-key", config, "Encrypts the container images", self)
        repository = aws.ecr.Repository(
            f"{name}-repository",
            name=config.name,
            image_tag_mutability="IMMUTABLE_WITH_EXCLUSION",
            image_tag_mutability_exclusion_filters=[
                {"filter": tag, "filter_type": "WILDCARD"} for tag in MUTABLE_TAGS
            ],
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": key.arn}],
            force_delete=False,
            tags=tags(config),
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=lifecycle_policy(config.ecr_releases_kept),
            opts=child,
        )

        if config.ecr_scanning == "enhanced":
            # Amazon Inspector scans on push and again as new CVEs appear. The setting is
            # the whole registry's (account and region): one stack per account sets it.
            aws.ecr.RegistryScanningConfiguration(
                f"{name}-enhanced-scanning",
                scan_type="ENHANCED",
                rules=[
                    {
                        "scan_frequency": "CONTINUOUS_SCAN",
                        "repository_filters": [{"filter": config.name, "filter_type": "WILDCARD"}],
                    }
                ],
                opts=child,
            )

        self.repository_arn = repository.arn
        self.repository_url = repository.repository_url
        self.key_arn = key.arn
        self.register_outputs({"repository_url": self.repository_url})
