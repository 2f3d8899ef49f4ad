"""Argo Rollouts: runs the app's canary. Its role only reads load balancers, so it can
check that a canary's target group is healthy before shifting traffic to it."""

import pulumi

from . import helm_charts, iam
from .cluster import Cluster
from .naming import component_type
from .pod_identity import pod_identity_role
from .stack_config import StackConfig

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


class ArgoRollouts(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: StackConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "ArgoRollouts"), name, None, opts)
        policy = iam.policy_json(
            iam.allow(
                TARGET_GROUP_READS, ["*"], StringEquals={"aws:RequestedRegion": config.region}
            )
        )
        identity = pod_identity_role(
            f"{name}-controller", config, cluster.name, NAMESPACE, SERVICE_ACCOUNT, policy, self
        )
        helm_charts.release(
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
            depends_on=[identity],
        )
        self.register_outputs({})
