"""Where Pulumi keeps every stack's state, and the keys that encrypt their secrets: one
S3 bucket for the account (versioned, encrypted, private, TLS only) and one KMS key per
environment, so an identity that may decrypt dev's secrets cannot decrypt prod's."""

import pulumi
import pulumi_aws as aws

from .buckets import harden_bucket
from .encryption import rotating_key
from .naming import component_type, tags
from .stack_config import ENVIRONMENTS, BootstrapConfig

# Old state versions are kept this long after being replaced: time enough to notice a bad
# `pulumi up` and `pulumi stack import` the state from before it.
NONCURRENT_VERSION_DAYS = 90


def secrets_key_alias(config: BootstrapConfig, environment: str) -> str:
    return f"alias/{config.project}-{environment}-pulumi-secrets"


class StateBackend(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    backend_url: str
    secrets_providers: dict[str, str]
    secrets_key_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, config: BootstrapConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(component_type(config, "StateBackend"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = self.state_bucket(name, config)

        self.secrets_key_arns = {}
        self.secrets_providers = {}
        for environment in ENVIRONMENTS:
            key = rotating_key(
                f"{name}-{environment}-secrets",
                config,
                f"Pulumi secrets of the {environment} stacks",
                self,
            )
            alias = secrets_key_alias(config, environment)
            aws.kms.Alias(
                f"{name}-{environment}-secrets", name=alias, target_key_id=key.id, opts=child
            )
            self.secrets_key_arns[environment] = key.arn
            self.secrets_providers[environment] = f"awskms://{alias}?region={config.region}"

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.backend_url = f"s3://{config.state_bucket_name}?region={config.region}"
        self.register_outputs({"bucket_name": self.bucket_name})

    def state_bucket(self, name: str, config: BootstrapConfig) -> aws.s3.Bucket:
        """Versioned, KMS-encrypted, private, TLS only; old versions expire; protected."""
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=config.state_bucket_name,
            # State is history: `pulumi destroy` of the bootstrap must not take it along.
            force_destroy=False,
            tags=tags(config),
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        harden_bucket(
            name, bucket, self, NONCURRENT_VERSION_DAYS, rule_id="expire-old-state-versions"
        )
        return bucket
