"""Node autoscaling with Karpenter: its controller role (EKS Pod Identity), the node role
its nodes join with and the interruption queue fed by EventBridge (the AWS layer); the
controller, one NodePool and its EC2NodeClass (the cluster layer)."""

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from . import helm_charts, iam
from .cluster import Cluster, node_role
from .cluster_connection import ClusterConnection
from .naming import component_type, tags
from .pod_identity import pod_identity_role
from .stack_config import AwsLayerConfig, ClusterLayerConfig

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
    "reservation-interruption": {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"],
    },
}
# Nodes are replaced after 30 days, so they keep up with patched AMIs.
NODE_EXPIRY = "720h"


def controller_policy(
    config: AwsLayerConfig,
    queue_arn: pulumi.Output[str],
    node_role_arn: pulumi.Output[str],
    cluster_arn: pulumi.Output[str],
) -> pulumi.Output[str]:
    """The six policies of Karpenter v1.14.1's getting-started CloudFormation template
    (NodeLifecycle, IAMIntegration, EKSIntegration, Interruption, ResourceDiscovery,
    ZonalShift), as one document, for this cluster. Launches and deletions are limited to
    resources tagged for this cluster and a NodePool; it may pass only the node role."""
    region, account, cluster = config.region, config.account_id, config.name
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
    of_a_node_pool = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    requested_for_cluster = {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster,
    }
    requested_for_node_pool = {"aws:RequestTag/karpenter.sh/nodepool": "*"}
    profile_in_region = {"aws:ResourceTag/topology.kubernetes.io/region": region}
    profile_requested_in_region = {"aws:RequestTag/topology.kubernetes.io/region": region}
    of_a_node_class = {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}
    requested_for_node_class = {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}

    def ec2(*kinds: str, account_id: str = "*") -> list[str]:
        return [f"arn:aws:ec2:{region}:{account_id}:{kind}/*" for kind in kinds]

    launched = ec2(
        "fleet",
        "instance",
        "volume",
        "network-interface",
        "launch-template",
        "spot-instances-request",
    )
    instance_profiles = [f"arn:aws:iam::{account}:instance-profile/*"]
    return iam.policy_json(
        # NodeLifecycle
        iam.allow(
            ["ec2:RunInstances", "ec2:CreateFleet"],
            [
                f"arn:aws:ec2:{region}::image/*",
                f"arn:aws:ec2:{region}::snapshot/*",
                *ec2("security-group", "subnet", "capacity-reservation", "placement-group"),
            ],
        ),
        iam.allow(
            ["ec2:RunInstances", "ec2:CreateFleet"],
            ec2("launch-template"),
            StringEquals=owned,
            StringLike=of_a_node_pool,
        ),
        iam.allow(
            ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            launched,
            StringEquals=requested_for_cluster,
            StringLike=requested_for_node_pool,
        ),
        iam.allow(
            ["ec2:CreateTags"],
            launched,
            StringEquals={
                **requested_for_cluster,
                "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
            },
            StringLike=requested_for_node_pool,
        ),
        iam.allow(
            ["ec2:CreateTags"],
            ec2("instance"),
            StringEquals=owned,
            StringLike=of_a_node_pool,
            StringEqualsIfExists={"aws:RequestTag/eks:eks-cluster-name": cluster},
            **{
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                }
            },
        ),
        iam.allow(
            ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            ec2("instance", "launch-template"),
            StringEquals=owned,
            StringLike=of_a_node_pool,
        ),
        # IAMIntegration
        iam.allow(
            ["iam:PassRole"],
            [node_role_arn],
            StringEquals={"iam:PassedToService": "ec2.amazonaws.com"},
        ),
        iam.allow(
            ["iam:CreateInstanceProfile"],
            instance_profiles,
            StringEquals={**requested_for_cluster, **profile_requested_in_region},
            StringLike=requested_for_node_class,
        ),
        iam.allow(
            ["iam:TagInstanceProfile"],
            instance_profiles,
            StringEquals={
                **owned,
                **profile_in_region,
                **requested_for_cluster,
                **profile_requested_in_region,
            },
            StringLike={**of_a_node_class, **requested_for_node_class},
        ),
        iam.allow(
            [
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            instance_profiles,
            StringEquals={**owned, **profile_in_region},
            StringLike=of_a_node_class,
        ),
        # EKSIntegration and Interruption
        iam.allow(["eks:DescribeCluster"], [cluster_arn]),
        iam.allow(["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], [queue_arn]),
        # ZonalShift: whether ARC has moved traffic away from a zone of this cluster.
        iam.allow(
            ["arc-zonal-shift:GetManagedResource"],
            ["*"],
            StringEquals={"arc-zonal-shift:ResourceIdentifier": cluster_arn},
        ),
        # ResourceDiscovery
        iam.allow(
            [
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            ["*"],
            StringEquals={"aws:RequestedRegion": region},
        ),
        iam.allow(["ssm:GetParameter"], [f"arn:aws:ssm:{region}::parameter/aws/service/*"]),
        # Not limited to a region: Karpenter asks the pricing API in us-east-1, eu-central-1
        # or ap-south-1, whichever serves the cluster's region.
        iam.allow(["pricing:GetProducts"], ["*"]),
        # The EC2NodeClass finalizer lists profiles to find its own: without it, deleting
        # a node class (and so `pulumi destroy`) waits forever.
        iam.allow(["iam:ListInstanceProfiles"], ["*"]),
        iam.allow(["iam:GetInstanceProfile"], instance_profiles),
    )


class KarpenterAws(pulumi.ComponentResource):
    """The AWS layer's part: the interruption queue and its rules, the role nodes join
    with, and the controller's role."""

    node_role_name: pulumi.Output[str]
    queue_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "KarpenterAws"), name, None, opts)
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

        pod_identity_role(
            f"{name}-controller",
            config,
            cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            controller_policy(config, queue.arn, nodes.arn, cluster.arn),
            self,
        )
        self.node_role_name = nodes.name
        self.queue_name = queue.name
        self.register_outputs({"queue_name": self.queue_name})


class Karpenter(pulumi.ComponentResource):
    """The cluster layer's part: the controller, its EC2NodeClass and NodePool."""

    node_pool: kubernetes.apiextensions.CustomResource

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "Karpenter"), name, None, opts)
        chart = helm_charts.release(
            f"{name}-chart",
            helm_charts.KARPENTER,
            NAMESPACE,
            {
                "serviceAccount": {"name": SERVICE_ACCOUNT},
                "settings": {
                    "clusterName": config.name,
                    "interruptionQueue": cluster.output("karpenterQueueName"),
                },
                "controller": {
                    "resources": {
                        "requests": {"cpu": "250m", "memory": "512Mi"},
                        "limits": {"memory": "512Mi"},
                    }
                },
            },
            cluster.provider,
            self,
        )
        crd_options = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[chart]
        )
        node_class = kubernetes.apiextensions.CustomResource(
            f"{name}-node-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": "default"},
            spec=node_class_spec(config, cluster),
            opts=crd_options,
        )
        self.node_pool = kubernetes.apiextensions.CustomResource(
            f"{name}-node-pool",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata={"name": "default"},
            spec=node_pool_spec(config),
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[chart, node_class]
            ),
        )
        self.register_outputs({})


def node_class_spec(config: ClusterLayerConfig, cluster: ClusterConnection) -> dict[str, Any]:
    """How Karpenter's nodes start: the node role, AL2023, the private subnets, the
    cluster's security group, IMDSv2 one hop, an encrypted root volume."""
    return {
        "role": cluster.output("karpenterNodeRoleName"),
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
    }


def node_pool_spec(config: ClusterLayerConfig) -> dict[str, Any]:
    """Which nodes Karpenter may launch for the service, how many CPUs in all, and how
    it consolidates them."""
    return {
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
    }
