"""The role GitHub Actions assumes to deliver: trusted only for this repository's deploy
environment, allowed to push to this one repository, to describe this one cluster, and,
inside the cluster, to change the Rollout's (and the drift CronJob's) image and read how
its canary went, in the app namespace only."""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from . import iam
from .app_namespace import AppNamespace
from .cluster import Cluster
from .naming import component_type, tags
from .registry import Registry
from .stack_config import StackConfig

TOKEN_ISSUER = "token.actions.githubusercontent.com"  # noqa: S105 (a host name, not a secret)
AUDIENCE = "sts.amazonaws.com"
# What `kubectl argo rollouts set image | undo | status | get` and reading the Locust gate's
# logs need; nothing else. EKS access policies cannot grant custom resources such as
# Rollouts, so the role gets a Kubernetes group bound to this Role instead.
DELIVERY_RULES = [
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["rollouts"],
        "verbs": ["get", "list", "watch", "patch"],
    },
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["analysisruns", "analysistemplates", "experiments"],
        "verbs": ["get", "list", "watch"],
    },
    {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"]},
    # `kubectl set image cronjob/<project>-drift-job`: the drift job runs the new image too.
    {"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["get", "patch"]},
    {"apiGroups": [""], "resources": ["pods", "events"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
]
PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImageScanFindings",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]


def trust_policy(config: StackConfig, provider_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """Only tokens for this repository's deploy environment, never a wildcard subject."""
    repository = f"{config.github_owner}/{config.github_repository}"
    subject = f"repo:{repository}:environment:{config.github_deploy_environment}"
    return pulumi.Output.json_dumps(
        iam.document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{TOKEN_ISSUER}:aud": AUDIENCE,
                        f"{TOKEN_ISSUER}:sub": subject,
                    }
                },
            }
        )
    )


class GitHubDeploy(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: StackConfig,
        registry: Registry,
        cluster: Cluster,
        namespace: AppNamespace,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "GitHubDeploy"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # One provider per account: reuse it when another stack already created it.
        provider_arn = (
            config.github_oidc_provider_arn
            or aws.iam.OpenIdConnectProvider(
                f"{name}-oidc",
                url=f"https://{TOKEN_ISSUER}",
                client_id_lists=[AUDIENCE],
                tags=tags(config),
                opts=child,
            ).arn
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=trust_policy(config, provider_arn),
            max_session_duration=3600,
            tags=tags(config),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-role",
            role=role.id,
            policy=iam.policy_json(
                # Registry login is account-wide by design; it grants nothing by itself.
                iam.allow(["ecr:GetAuthorizationToken"], ["*"]),
                iam.allow(PUSH_ACTIONS, [registry.repository_arn]),
                iam.allow(["kms:Decrypt", "kms:GenerateDataKey"], [registry.key_arn]),
                iam.allow(["eks:DescribeCluster"], [cluster.arn]),
            ),
            opts=child,
        )
        group = f"{config.project}:deployers"
        aws.eks.AccessEntry(
            f"{name}-access",
            cluster_name=cluster.name,
            principal_arn=role.arn,
            type="STANDARD",
            kubernetes_groups=[group],
            tags=tags(config),
            opts=child,
        )
        in_cluster = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[namespace]
        )
        kubernetes.rbac.v1.Role(
            f"{name}-role",
            metadata={"name": f"{config.project}-deployer", "namespace": namespace.name},
            rules=DELIVERY_RULES,
            opts=in_cluster,
        )
        kubernetes.rbac.v1.RoleBinding(
            f"{name}-role-binding",
            metadata={"name": f"{config.project}-deployer", "namespace": namespace.name},
            role_ref={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": f"{config.project}-deployer",
            },
            subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
            opts=in_cluster,
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})
