"""The account's image signing key: an asymmetric KMS key (ECDSA P-256, which cosign
signs with through `awskms://`) whose private half never leaves KMS. Delivery signs each
image it builds, its SBOM and its provenance with it, and verifies them before any
deploy; this works on a private repository on every GitHub plan, and nothing is
published to a public transparency log.

Who may sign and who may only verify is each deploy role's own policy (github_deploy.py);
the key policy is AWS's default, which leaves that to IAM. Asymmetric keys cannot rotate
automatically: replacing the key means verifying older images with the old public key."""

import pulumi
import pulumi_aws as aws

from .encryption import DELETION_WINDOW_DAYS
from .naming import component_type, tags
from .stack_config import BootstrapConfig


def alias_name(project: str) -> str:
    """What delivery names the key by (.github/delivery.env, IMAGE_SIGNING_KEY)."""
    return f"alias/{project}-image-signing"


class ImageSigningKey(pulumi.ComponentResource):
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, config: BootstrapConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(component_type(config, "ImageSigningKey"), name, None, opts)
        key = aws.kms.Key(
            name,
            description=f"Signs the container images delivery builds ({config.name})",
            key_usage="SIGN_VERIFY",
            customer_master_key_spec="ECC_NIST_P256",
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            tags=tags(config),
            # Deleting it would make every signed image unverifiable, so no deploy.
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.kms.Alias(
            name,
            name=alias_name(config.project),
            target_key_id=key.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = key.arn
        self.register_outputs({"arn": self.arn})
