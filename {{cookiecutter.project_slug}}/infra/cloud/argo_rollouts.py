"""Argo Rollouts: runs the app's canary. Its role only reads load balancers, so it can
check that a canary's target group is healthy before shifting traffic to it."""

import pulumi
import pulumi_kubernetes as kubernetes

from . import helm_charts, iam
from .cluster import Cluster
from .cluster_connection import ClusterConnection
from .naming import component_type
from .pod_identity import pod_identity_role
from .stack_config import AwsLayerConfig, ClusterLayerConfig

NAMESPACE = "argo-rollouts"
SERVICE_ACCOUNT = "argo-rollouts"
TARGET_GROUP_READS = [
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetHealth",
]


class ArgoRolloutsAws(pulumi.ComponentResource):
    """The AWS layer's part: a role that only reads load balancers."""

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "ArgoRolloutsAws"), name, None, opts)
        policy = iam.policy_json(
            iam.allow(
                TARGET_GROUP_READS, ["*"], StringEquals={"aws:RequestedRegion": config.region}
            )
        )
        pod_identity_role(
            f"{name}-controller", config, cluster.name, NAMESPACE, SERVICE_ACCOUNT, policy, self
        )
        self.register_outputs({})


class ArgoRollouts(pulumi.ComponentResource):
    """The cluster layer's part: the controller."""

    release: kubernetes.helm.v3.Release

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "ArgoRollouts"), name, None, opts)
        self.release = helm_charts.release(
            f"{name}-chart",
            helm_charts.ARGO_ROLLOUTS,
            NAMESPACE,
            {
                "controller": {
                    "replicas": 2,
                    # Shift traffic only once the ALB sees the canary's pods as healthy.
                    "extraArgs": ["--aws-verify-target-group"],
                },
                "serviceAccount": {"name": SERVICE_ACCOUNT},
            },
            cluster.provider,
            self,
        )
        self.register_outputs({})
