"""An IAM role for one Kubernetes service account, handed over by EKS Pod Identity:
no static keys, no OIDC trust per cluster, and the pod gets nothing else."""

import pulumi
import pulumi_aws as aws

from . import iam
from .naming import tags
from .stack_config import LayerConfig


def pod_identity_role(
    name: str,
    config: LayerConfig,
    cluster_name: pulumi.Input[str],
    namespace: str,
    service_account: str,
    policy: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.eks.PodIdentityAssociation:
    """Create the role with `policy` as its only permissions and bind it to the account."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name, assume_role_policy=iam.trust_pod_identity(), tags=tags(config), opts=child
    )
    aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=child)
    return aws.eks.PodIdentityAssociation(
        name,
        cluster_name=cluster_name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role.arn,
        tags=tags(config),
        opts=child,
    )
