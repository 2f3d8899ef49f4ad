"""AWS Load Balancer Controller: turns the app's Ingress into an ALB that sends traffic
straight to pod IPs, which Argo Rollouts then weights between stable and canary.

Its role may only change load balancers, target groups and security groups that carry
this cluster's tag; what it creates gets that tag. WAF, Shield and Cognito integrations
are switched off, so their permissions are not granted.
"""

import pulumi

from . import helm_charts, iam
from .cluster import Cluster
from .naming import component_type
from .network import Network
from .pod_identity import pod_identity_role
from .stack_config import StackConfig

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
READ_ACTIONS = [
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:DescribeRouteTables",
    "ec2:GetSecurityGroupsForVpc",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
]


def controller_policy(config: StackConfig) -> pulumi.Output[str]:
    tagged = {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    tagging_on_create = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}
    region = config.region
    balancers = [
        f"arn:aws:elasticloadbalancing:{region}:{config.account_id}:{kind}"
        for kind in ("targetgroup/*/*", "loadbalancer/app/*/*", "loadbalancer/net/*/*")
    ]
    listeners = [
        f"arn:aws:elasticloadbalancing:{region}:{config.account_id}:{kind}"
        for kind in (
            "listener/app/*/*/*",
            "listener/net/*/*/*",
            "listener-rule/app/*/*/*",
            "listener-rule/net/*/*/*",
        )
    ]
    security_groups = [f"arn:aws:ec2:{region}:{config.account_id}:security-group/*"]
    return iam.policy_json(
        iam.allow(
            ["iam:CreateServiceLinkedRole"],
            ["*"],
            StringEquals={"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"},
        ),
        iam.allow(READ_ACTIONS, ["*"], StringEquals={"aws:RequestedRegion": region}),
        iam.allow(["ec2:CreateSecurityGroup"], ["*"], StringEquals={"aws:RequestedRegion": region}),
        iam.allow(
            ["ec2:CreateTags"],
            security_groups,
            StringEquals={"ec2:CreateAction": "CreateSecurityGroup"},
        ),
        iam.allow(
            [
                "ec2:CreateTags",
                "ec2:DeleteTags",
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
        ),
        iam.allow(
            [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyListenerAttributes",
            ],
            [*balancers, *listeners],
            **tagged,
        ),
        iam.allow(
            ["elasticloadbalancing:AddTags"],
            balancers,
            StringEquals={
                "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]
            },
        ),
        iam.allow(
            [
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            [*balancers, *listeners],
            **tagged,
        ),
    )


class LoadBalancerController(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: StackConfig,
        cluster: Cluster,
        network: Network,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "LoadBalancerController"), name, None, opts)
        identity = pod_identity_role(
            f"{name}-controller",
            config,
            cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            controller_policy(config),
            self,
        )
        helm_charts.release(
            f"{name}-chart",
            helm_charts.AWS_LOAD_BALANCER_CONTROLLER,
            NAMESPACE,
            {
                "clusterName": config.name,
                "region": config.region,
                "vpcId": network.vpc_id,
                "serviceAccount": {"name": SERVICE_ACCOUNT},
                "replicaCount": 2,
                "enableWaf": False,
                "enableWafv2": False,
                "enableShield": False,
            },
            cluster.provider,
            self,
            depends_on=[identity],
        )
        self.register_outputs({})
