"""AWS Load Balancer Controller: turns the app's Ingress into an ALB that sends traffic
straight to pod IPs, which Argo Rollouts then weights between stable and canary.

Its role is the upstream policy at the pinned version, narrowed only where the chart's
settings make a permission unused (WAF, Shield and Cognito are off). The role lives in
the AWS layer; the chart in the cluster layer.
"""

import pulumi
import pulumi_kubernetes as kubernetes

from . import helm_charts, iam
from .cluster import Cluster
from .cluster_connection import ClusterConnection
from .naming import component_type
from .pod_identity import pod_identity_role
from .stack_config import AwsLayerConfig, ClusterLayerConfig, EnvironmentConfig

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
# The statements of the controller's own docs/install/iam_policy.json at v3.5.0 (the
# chart's appVersion), in its order. tests/infra/test_controller_policies.py holds the
# upstream action list and the narrowings below, each with its reason:
# - WAF, WAF Regional, Shield, Cognito and IAM server certificates are left out: the chart
#   runs with enableWaf/enableWafv2/enableShield false, and listeners use ACM certificates.
# - Reads are limited to the stack's region, and ARNs to its account and region: the
#   controller only manages load balancers of its own cluster.
READ_ACTIONS = [
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:GetCoipPoolUsage",
    "ec2:DescribeCoipPools",
    "ec2:GetSecurityGroupsForVpc",
    "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
]
TAGGED_RESOURCE_CHANGES = [
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:ModifyCapacityReservation",
    "elasticloadbalancing:ModifyIpPools",
]
LISTENER_CHANGES = [
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities",
]


def controller_policy(config: EnvironmentConfig, account_id: str) -> pulumi.Output[str]:
    tagged = {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    tagging_on_create = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}
    # A tag change that keeps the cluster tag: the controller may not take a resource over.
    retagging = {
        "Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true", f"aws:ResourceTag/{CLUSTER_TAG}": "false"}
    }
    region = config.region

    def arns(service: str, *kinds: str) -> list[str]:
        return [f"arn:aws:{service}:{region}:{account_id}:{kind}" for kind in kinds]

    security_groups = arns("ec2", "security-group/*")
    balancers = arns(
        "elasticloadbalancing", "targetgroup/*/*", "loadbalancer/net/*/*", "loadbalancer/app/*/*"
    )
    listeners = arns(
        "elasticloadbalancing",
        "listener/net/*/*/*",
        "listener/app/*/*/*",
        "listener-rule/net/*/*/*",
        "listener-rule/app/*/*/*",
    )
    in_region = {"StringEquals": {"aws:RequestedRegion": region}}
    return iam.policy_json(
        iam.allow(
            ["iam:CreateServiceLinkedRole"],
            ["*"],
            StringEquals={"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"},
        ),
        iam.allow(READ_ACTIONS, ["*"], **in_region),
        iam.allow(["acm:ListCertificates", "acm:DescribeCertificate"], ["*"], **in_region),
        # Untagged on purpose: the controller opens the cluster security group EKS made
        # (tagged kubernetes.io/cluster/<name>, not elbv2.k8s.aws/cluster) to the ALB.
        iam.allow(
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            security_groups,
        ),
        iam.allow(["ec2:CreateSecurityGroup"], ["*"], **in_region),
        iam.allow(
            ["ec2:CreateTags"],
            security_groups,
            StringEquals={"ec2:CreateAction": "CreateSecurityGroup"},
            **tagging_on_create,
        ),
        iam.allow(["ec2:CreateTags", "ec2:DeleteTags"], security_groups, **retagging),
        iam.allow(
            [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            security_groups,
            **tagged,
        ),
        iam.allow(
            ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            ["*"],
            **tagging_on_create,
            StringEquals={"aws:RequestedRegion": region},
        ),
        iam.allow(
            [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            [*balancers, *listeners],
        ),
        iam.allow(
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            balancers,
            **retagging,
        ),
        # Listener and rule tagging is on by default since v2.x: new listeners are tagged
        # as they are created, before any tag exists to condition on.
        iam.allow(["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], listeners),
        iam.allow(TAGGED_RESOURCE_CHANGES, [*balancers, *listeners], **tagged),
        iam.allow(
            ["elasticloadbalancing:AddTags"],
            balancers,
            StringEquals={
                "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]
            },
            **tagging_on_create,
        ),
        iam.allow(
            ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            arns("elasticloadbalancing", "targetgroup/*/*"),
        ),
        iam.allow(LISTENER_CHANGES, [*balancers, *listeners]),
    )


class LoadBalancerControllerAws(pulumi.ComponentResource):
    """The AWS layer's part: the controller's role, bound to its service account."""

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "LoadBalancerControllerAws"), name, None, opts)
        pod_identity_role(
            f"{name}-controller",
            config,
            cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            controller_policy(config, config.account_id),
            self,
        )
        self.register_outputs({})


class LoadBalancerController(pulumi.ComponentResource):
    """The cluster layer's part: the controller itself."""

    release: kubernetes.helm.v3.Release

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "LoadBalancerController"), name, None, opts)
        self.release = helm_charts.release(
            f"{name}-chart",
            helm_charts.AWS_LOAD_BALANCER_CONTROLLER,
            NAMESPACE,
            {
                "clusterName": config.name,
                "region": config.region,
                "vpcId": cluster.output("vpcId"),
                "serviceAccount": {"name": SERVICE_ACCOUNT},
                "replicaCount": 2,
                "enableWaf": False,
                "enableWafv2": False,
                "enableShield": False,
            },
            cluster.provider,
            self,
        )
        self.register_outputs({})
