"""Once per account, from a laptop with administrator credentials: where state lives, the
keys of each environment's secrets, the image signing key, the identities CI uses, and
X-Ray's Transaction Search."""

import pulumi
import pulumi_aws as aws

from cloud.account_tracing import TransactionSearch
from cloud.ci_roles import CiRoles
from cloud.image_signing import ImageSigningKey
from cloud.stack_config import BootstrapConfig
from cloud.state_backend import StateBackend


def build(config: BootstrapConfig) -> None:
    backend = StateBackend("state", config)
    ci = CiRoles("ci", config, backend)
    signing_key = ImageSigningKey("image-signing", config)
    # X-Ray takes traces (trace_collector.py) only with Transaction Search on.
    TransactionSearch("transaction-search", config)
    if config.create_spot_service_linked_role:
        # Karpenter launches spot nodes in dev but may not create this role itself: without
        # it, CreateFleet fails with AuthFailure.ServiceLinkedRoleCreationNotPermitted.
        aws.iam.ServiceLinkedRole("spot", aws_service_name="spot.amazonaws.com")

    pulumi.export("region", config.region)
    pulumi.export("stateBucket", backend.bucket_name)
    pulumi.export("backendUrl", backend.backend_url)
    pulumi.export("secretsProviders", backend.secrets_providers)
    pulumi.export("githubRepository", config.github_repository_path)
    pulumi.export("githubOidcProviderArn", ci.github_oidc_provider_arn)
    pulumi.export("githubConnectionArn", ci.github_connection_arn)
    pulumi.export("previewRoleArn", ci.preview_role_arn)
    pulumi.export("clusterRoleArns", ci.cluster_role_arns)
    pulumi.export("imageSigningKeyArn", signing_key.arn)
