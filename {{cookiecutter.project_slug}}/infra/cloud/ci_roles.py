"""The identities CI uses, made once per account before any environment exists:
GitHub's OIDC provider, the GitHub connection CodeBuild's runners use, a read-only role
for pull-request previews, and per environment the role that applies the cluster layer.

Each role trusts one kind of job of this repository only:
- preview: `pull_request` jobs; reads state, may decrypt only dev's secrets (so it can
  preview dev, and prod's secrets stay out of reach of code in a pull request);
- cluster (per environment): jobs of that GitHub environment (staging or production), on
  the in-VPC runner; writes only its own stack's state, decrypts only its environment's,
  and reads the image its environment released (release_record.py).
"""

import pulumi
import pulumi_aws as aws

from . import github_oidc, iam
from .naming import component_type, tags
from .release_record import parameter_arn
from .stack_config import ENVIRONMENTS, BootstrapConfig, github_environment
from .state_backend import StateBackend

# CodeConnections connection names are at most 32 characters.
CONNECTION_NAME_LENGTH = 32
PREVIEWED_ENVIRONMENT = "dev"


def state_objects(backend: StateBackend, project: str, *stacks: str) -> list[pulumi.Output[str]]:
    """Pulumi's S3 layout (pkg/backend/diy): .pulumi/{stacks,history,backups}/<project>/
    <stack>..., and locks under .pulumi/locks/organization/<project>/<stack>/."""
    return [
        backend.bucket_arn.apply(lambda arn, stack=stack: f"{arn}/.pulumi/*/{project}/{stack}*")
        for stack in stacks
    ]


def stack_locks(backend: StateBackend, project: str, stack: str) -> pulumi.Output[str]:
    return backend.bucket_arn.apply(
        lambda arn: f"{arn}/.pulumi/locks/organization/{project}/{stack}/*"
    )


def state_read(backend: StateBackend, config: BootstrapConfig, *stacks: str) -> list[dict]:
    return [
        iam.allow(["s3:ListBucket"], [backend.bucket_arn]),
        iam.allow(
            ["s3:GetObject"],
            [
                backend.bucket_arn.apply(lambda arn: f"{arn}/.pulumi/meta.yaml"),
                *state_objects(backend, config.project, *stacks),
            ],
        ),
    ]


def preview_policy(backend: StateBackend, config: BootstrapConfig) -> pulumi.Output[str]:
    """Pull requests' previews: read the state dev's plan needs, decrypt dev's secrets;
    a preview takes the stack's lock, and nothing else is written."""
    return iam.policy_json(
        *state_read(backend, config, "bootstrap", PREVIEWED_ENVIRONMENT),
        iam.allow(
            ["s3:PutObject", "s3:DeleteObject"],
            [stack_locks(backend, config.project, PREVIEWED_ENVIRONMENT)],
        ),
        iam.allow(["kms:Decrypt"], [backend.secrets_key_arns[PREVIEWED_ENVIRONMENT]]),
    )


def cluster_role_policy(
    backend: StateBackend, config: BootstrapConfig, environment: str
) -> pulumi.Output[str]:
    """One environment's cluster layer, applied by CI: its own stack's state (and the AWS
    layer's outputs it reads), its key, its release record, its cluster's endpoint."""
    cluster_stack = f"{environment}-cluster"
    return iam.policy_json(
        *state_read(backend, config, environment),
        iam.allow(
            ["s3:PutObject", "s3:DeleteObject"],
            [
                *state_objects(backend, config.project, cluster_stack),
                stack_locks(backend, config.project, cluster_stack),
            ],
        ),
        iam.allow(
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            [backend.secrets_key_arns[environment]],
        ),
        iam.allow(
            ["ssm:GetParameter"],
            [parameter_arn(config.region, config.account_id, config.project, environment)],
        ),
        iam.allow(
            ["eks:DescribeCluster"],
            [
                f"arn:aws:eks:{config.region}:{config.account_id}:cluster/"
                f"{config.project}-{environment}"
            ],
        ),
    )


class CiRoles(pulumi.ComponentResource):
    github_oidc_provider_arn: pulumi.Output[str]
    github_connection_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]
    cluster_role_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        config: BootstrapConfig,
        backend: StateBackend,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "CiRoles"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        repository = config.github_repository_path

        # One provider per account: reuse it when something else already created it.
        provider_arn = pulumi.Output.from_input(
            config.github_oidc_provider_arn
            or aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                url=f"https://{github_oidc.TOKEN_ISSUER}",
                client_id_lists=[github_oidc.AUDIENCE],
                tags=tags(config),
                opts=child,
            ).arn
        )
        # Created PENDING: someone approves it once in the console (docs/infrastructure.md)
        # before the AWS layer creates the runner's webhook.
        connection = aws.codeconnections.Connection(
            f"{name}-github",
            name=f"{config.project[: CONNECTION_NAME_LENGTH - 7]}-github",
            provider_type="GitHub",
            tags=tags(config),
            opts=child,
        )

        preview = aws.iam.Role(
            f"{name}-preview",
            name=f"{config.project}-preview",
            assume_role_policy=github_oidc.trust_policy(provider_arn, repository, "pull_request"),
            max_session_duration=3600,
            tags=tags(config),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-preview",
            role=preview.id,
            policy=preview_policy(backend, config),
            opts=child,
        )

        self.cluster_role_arns = {}
        for environment in ENVIRONMENTS:
            role = aws.iam.Role(
                f"{name}-{environment}-cluster",
                name=f"{config.project}-{environment}-cluster",
                assume_role_policy=github_oidc.trust_policy(
                    provider_arn, repository, f"environment:{github_environment(environment)}"
                ),
                max_session_duration=3600,
                tags=tags(config),
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-{environment}-cluster",
                role=role.id,
                policy=cluster_role_policy(backend, config, environment),
                opts=child,
            )
            self.cluster_role_arns[environment] = role.arn

        self.github_oidc_provider_arn = provider_arn
        self.github_connection_arn = connection.arn
        self.preview_role_arn = preview.arn
        self.register_outputs({"preview_role_arn": self.preview_role_arn})
