"""A private S3 bucket as every bucket here is: owned by this account alone, versioned,
encrypted with KMS, closed to the public and to anything but TLS, its old versions and
abandoned uploads cleaned up."""

import pulumi
import pulumi_aws as aws

from . import iam


def harden_bucket(
    name: str,
    bucket: aws.s3.Bucket,
    parent: pulumi.Resource,
    noncurrent_days: int,
    rule_id: str,
    key_arn: pulumi.Input[str] | None = None,
) -> None:
    """Give `bucket` the settings above; `key_arn` is its KMS key (default: AWS's own)."""
    child = pulumi.ResourceOptions(parent=parent)
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=child,
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-private",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=child,
    )
    encryption = {"sse_algorithm": "aws:kms"}
    if key_arn is not None:
        encryption["kms_master_key_id"] = key_arn
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": encryption,
                # One data key per bucket and hour rather than per object: far fewer KMS calls.
                "bucket_key_enabled": True,
            }
        ],
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-old-versions",
        bucket=bucket.id,
        rules=[
            {
                "id": rule_id,
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": noncurrent_days},
                # A writer killed mid-upload leaves parts that are billed but never seen.
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            }
        ],
        opts=child,
    )
    aws.s3.BucketPolicy(
        f"{name}-tls-only",
        bucket=bucket.id,
        policy=iam.policy_json(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket.arn, bucket.arn.apply(lambda arn: f"{arn}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
        opts=child,
    )
