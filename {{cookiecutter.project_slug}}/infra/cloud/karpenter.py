"""Node autoscaling with Karpenter: its controller role (EKS Pod Identity), the node role
its nodes join with, the interruption queue fed by EventBridge, and one NodePool with
its EC2NodeClass."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from . import helm_charts, iam
from .cluster import Cluster, node_role
from .naming import component_type, tags
from .pod_identity import pod_identity_role
from .stack_config import StackConfig

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
# EventBridge rules that warn of an instance going away; Karpenter drains it first.
INTERRUPTION_EVENTS = {
    "scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Spot Instance Interruption Warning"],
    },
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state-change": {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
    },
}
# Nodes are replaced after 30 days, so they keep up with patched AMIs.
NODE_EXPIRY = "720h"


def controller_policy(
    config: StackConfig,
    queue_arn: pulumi.Output[str],
    node_role_arn: pulumi.Output[str],
    cluster_arn: pulumi.Output[str],
) -> pulumi.Output[str]:
    """What the controller may do: launch and terminate only instances tagged for this
    cluster, read its queue, pass only the node role. Describe and pricing calls cannot
    be scoped to resources."""
    region, account = config.region, config.account_id
    cluster_tag = f"aws:ResourceTag/kubernetes.io/cluster/{config.name}"
    request_tag = f"aws:RequestTag/kubernetes.io/cluster/{config.name}"
    launched = [
        f"arn:aws:ec2:{region}:*:{kind}/*"
        for kind in (
            "fleet",
            "instance",
            "volume",
            "network-interface",
            "launch-template",
            "spot-instances-request",
        )
    ]
    return iam.policy_json(
        iam.allow(
            ["ec2:RunInstances", "ec2:CreateFleet"],
            [
                f"arn:aws:ec2:{region}::image/*",
                f"arn:aws:ec2:{region}::snapshot/*",
                f"arn:aws:ec2:{region}:*:security-group/*",
                f"arn:aws:ec2:{region}:*:subnet/*",
                f"arn:aws:ec2:{region}:*:capacity-reservation/*",
            ],
        ),
        iam.allow(
            ["ec2:RunInstances", "ec2:CreateFleet"],
            [f"arn:aws:ec2:{region}:*:launch-template/*"],
            StringEquals={cluster_tag: "owned"},
        ),
        iam.allow(
            ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            launched,
            StringEquals={request_tag: "owned"},
        ),
        iam.allow(
            ["ec2:CreateTags"],
            launched,
            StringEquals={
                request_tag: "owned",
                "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
            },
        ),
        iam.allow(
            ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate", "ec2:CreateTags"],
            [f"arn:aws:ec2:{region}:*:instance/*", f"arn:aws:ec2:{region}:*:launch-template/*"],
            StringEquals={cluster_tag: "owned"},
        ),
        iam.allow(
            [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
                "ec2:DescribeCapacityReservations",
                "pricing:GetProducts",
            ],
            ["*"],
            StringEquals={"aws:RequestedRegion": region},
        ),
        iam.allow(["ssm:GetParameter"], [f"arn:aws:ssm:{region}::parameter/aws/service/*"]),
        iam.allow(["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], [queue_arn]),
        iam.allow(
            ["iam:PassRole"],
            [node_role_arn],
            StringEquals={"iam:PassedToService": "ec2.amazonaws.com"},
        ),
        iam.allow(
            [
                "iam:CreateInstanceProfile",
                "iam:TagInstanceProfile",
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:GetInstanceProfile",
            ],
            [f"arn:aws:iam::{account}:instance-profile/*"],
        ),
        iam.allow(["eks:DescribeCluster"], [cluster_arn]),
    )


class Karpenter(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: StackConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "Karpenter"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        queue = aws.sqs.Queue(
            f"{name}-interruptions",
            name=f"{config.name}-karpenter",
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            tags=tags(config),
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-interruptions",
            queue_url=queue.url,
            policy=iam.policy_json(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                    "Action": "sqs:SendMessage",
                    "Resource": queue.arn,
                },
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue.arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ),
            opts=child,
        )
        for event, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{event}", event_pattern=json.dumps(pattern), tags=tags(config), opts=child
            )
            aws.cloudwatch.EventTarget(f"{name}-{event}", rule=rule.name, arn=queue.arn, opts=child)

        nodes = node_role(f"{name}-node", config, self)
        aws.eks.AccessEntry(
            f"{name}-node",
            cluster_name=cluster.name,
            principal_arn=nodes.arn,
            type="EC2_LINUX",
            tags=tags(config),
            opts=child,
        )

        identity = pod_identity_role(
            f"{name}-controller",
            config,
            cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            controller_policy(config, queue.arn, nodes.arn, cluster.arn),
            self,
        )
        chart = helm_charts.release(
            f"{name}-chart",
            helm_charts.KARPENTER,
            NAMESPACE,
            {
                "serviceAccount": {"name": SERVICE_ACCOUNT},
                "settings": {"clusterName": config.name, "interruptionQueue": queue.name},
                "controller": {
                    "resources": {
                        "requests": {"cpu": "250m", "memory": "512Mi"},
                        "limits": {"memory": "512Mi"},
                    }
                },
            },
            cluster.provider,
            self,
            depends_on=[identity],
        )
        crd_options = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[chart]
        )
        node_class = kubernetes.apiextensions.CustomResource(
            f"{name}-node-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": "default"},
            spec={
                "role": nodes.name,
                "amiSelectorTerms": [{"alias": "al2023@latest"}],
                "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": config.name}}],
                "securityGroupSelectorTerms": [{"id": cluster.security_group_id}],
                "metadataOptions": {
                    "httpEndpoint": "enabled",
                    "httpTokens": "required",
                    "httpPutResponseHopLimit": 1,
                    "httpProtocolIPv6": "disabled",
                },
                "blockDeviceMappings": [
                    {
                        "deviceName": "/dev/xvda",
                        "ebs": {"volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True},
                    }
                ],
                "tags": tags(config),
            },
            opts=crd_options,
        )
        kubernetes.apiextensions.CustomResource(
            f"{name}-node-pool",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata={"name": "default"},
            spec={
                "template": {
                    "spec": {
                        "nodeClassRef": {
                            "group": "karpenter.k8s.aws",
                            "kind": "EC2NodeClass",
                            "name": "default",
                        },
                        "requirements": [
                            {
                                "key": "karpenter.k8s.aws/instance-family",
                                "operator": "In",
                                "values": list(config.karpenter_instance_families),
                            },
                            {
                                "key": "karpenter.sh/capacity-type",
                                "operator": "In",
                                "values": list(config.karpenter_capacity_types),
                            },
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                        ],
                        "expireAfter": NODE_EXPIRY,
                    }
                },
                "limits": {"cpu": str(config.karpenter_cpu_limit)},
                "disruption": {
                    "consolidationPolicy": "WhenEmptyOrUnderutilized",
                    "consolidateAfter": "1m",
                    "budgets": [{"nodes": "10%"}],
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[chart, node_class]
            ),
        )
        self.register_outputs({})
