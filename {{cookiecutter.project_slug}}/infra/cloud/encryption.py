"""Customer-managed KMS keys: each rotates yearly and waits 30 days before deletion, so
a mistaken destroy can still be undone."""

import pulumi
import pulumi_aws as aws

from .naming import tags
from .stack_config import LayerConfig

DELETION_WINDOW_DAYS = 30


def rotating_key(
    name: str,
    config: LayerConfig,
    purpose: str,
    parent: pulumi.Resource,
    policy: str | None = None,
) -> aws.kms.Key:
    """`policy` None is KMS's default: the account's IAM policies decide who uses it."""
    return aws.kms.Key(
        name,
        description=f"{purpose} ({config.name})",
        policy=policy,
        enable_key_rotation=True,
        deletion_window_in_days=DELETION_WINDOW_DAYS,
        tags=tags(config),
        opts=pulumi.ResourceOptions(parent=parent),
    )
