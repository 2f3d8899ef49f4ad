"""The role GitHub Actions assumes to deliver: trusted only for this repository's deploy
environment, allowed to push to this one repository, to record the released image, to
describe this one cluster, and, inside the cluster, to change the Rollout's (and the
drift CronJob's) image and read how its canary went, in the app namespace only. RBAC
grants the patch; an admission policy (deployer_admission.py) holds it to the images.

Images are built once, in dev (staging), and signed there with the account's signing
key; prod (production) copies the digest staging released, signatures included, from
dev's repository, and may only verify them. The role and its access entry are the AWS
layer's; the Kubernetes Role and its binding, the cluster layer's."""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from . import github_oidc, iam
from .account_bootstrap import AccountBootstrap
from .app_namespace import AppNamespace
from .cluster import Cluster
from .cluster_connection import ClusterConnection
from .deployer_admission import policy_spec
from .naming import component_type, tags
from .registry import Registry
from .release_record import ReleaseRecord
from .stack_config import AwsLayerConfig, ClusterLayerConfig, EnvironmentConfig

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
# Reading an image and its signatures from the repository production promotes from.
PULL_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
]
# cosign with an `awskms://` key (sigstore's pkg/signature/kms/aws): signing asks KMS to
# sign and reads the public key for the certificate-less signature; verifying reads the
# public key once and checks locally.
SIGN_ACTIONS = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]
VERIFY_ACTIONS = ["kms:DescribeKey", "kms:GetPublicKey"]
# Where images are built; the other environment promotes from it.
BUILDING_ENVIRONMENT = "dev"


class GitHubDeploy(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        account: AccountBootstrap,
        registry: Registry,
        cluster: Cluster,
        release: ReleaseRecord,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "GitHubDeploy"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=github_oidc.trust_policy(
                account.output("githubOidcProviderArn"),
                account.output("githubRepository"),
                f"environment:{config.github_deploy_environment}",
            ),
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
                *signing(config, account),
                iam.allow(["ssm:GetParameter", "ssm:PutParameter"], [release.arn]),
                iam.allow(["eks:DescribeCluster"], [cluster.arn]),
            ),
            opts=child,
        )
        aws.eks.AccessEntry(
            f"{name}-access",
            cluster_name=cluster.name,
            principal_arn=role.arn,
            type="STANDARD",
            kubernetes_groups=[deployers_group(config)],
            tags=tags(config),
            opts=child,
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


def signing(config: AwsLayerConfig, account: AccountBootstrap) -> list[dict]:
    """The building environment signs; the other pulls what it built and verifies it."""
    key = account.output("imageSigningKeyArn")
    if config.environment == BUILDING_ENVIRONMENT:
        return [iam.allow(SIGN_ACTIONS, [key])]
    source = (
        f"arn:aws:ecr:{config.region}:{config.account_id}:repository/"
        f"{config.project}-{BUILDING_ENVIRONMENT}"
    )
    return [iam.allow(VERIFY_ACTIONS, [key]), iam.allow(PULL_ACTIONS, [source])]


def deployers_group(config: EnvironmentConfig) -> str:
    return f"{config.project}:deployers"


class DeployerRole(pulumi.ComponentResource):
    """The cluster layer's part: what the deploy role's group may do in the app namespace."""

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "DeployerRole"), name, None, opts)
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
            subjects=[
                {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Group",
                    "name": deployers_group(config),
                }
            ],
            opts=in_cluster,
        )
        self.hold_to_images(name, config, cluster, namespace)
        self.register_outputs({})

    def hold_to_images(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
    ) -> None:
        """The admission policy that lets the group's patches change images only."""
        policy_name = f"{config.project}-deployers-change-images-only"
        policy = kubernetes.admissionregistration.v1.ValidatingAdmissionPolicy(
            f"{name}-admission-policy",
            metadata={"name": policy_name},
            spec=cluster.output("repositoryUrl").apply(
                lambda repository: policy_spec(deployers_group(config), repository)
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )
        kubernetes.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            f"{name}-admission-binding",
            metadata={"name": policy_name},
            spec={
                "policyName": policy_name,
                "validationActions": ["Deny"],
                "matchResources": {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": namespace.name}
                    }
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[policy, namespace]
            ),
        )
