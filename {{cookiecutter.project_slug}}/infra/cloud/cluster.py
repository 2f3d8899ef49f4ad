"""The EKS cluster: a private API endpoint (public only in dev, only to listed networks),
audit logs, envelope-encrypted secrets, a small managed node group for system pods and
the core add-ons. Nothing here talks to the Kubernetes API: this is the AWS layer."""

import json

import pulumi
import pulumi_aws as aws

from . import iam
from .encryption import rotating_key
from .naming import component_type, tags
from .network import Network
from .stack_config import AwsLayerConfig, EnvironmentConfig

CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
# Add-ons that must exist before nodes can join, and those that need nodes to run on.
NETWORK_ADDONS = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]
WORKLOAD_ADDONS = ["coredns", "metrics-server"]
# The VPC CNI enforces NetworkPolicies only when asked to.
ADDON_SETTINGS = {"vpc-cni": json.dumps({"enableNetworkPolicy": "true"})}
NODE_POLICIES = [
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    # Shell access through Session Manager instead of SSH keys and open ports.
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
]
# Pods must not reach the node's instance metadata (and its role): one hop only.
IMDS_HOP_LIMIT = 1
ROOT_VOLUME_GIB = 40


def node_role(name: str, config: EnvironmentConfig, parent: pulumi.Resource) -> aws.iam.Role:
    """An EC2 role for worker nodes, shared by the system node group and Karpenter's nodes."""
    role = aws.iam.Role(
        name,
        assume_role_policy=iam.trust_service("ec2.amazonaws.com"),
        tags=tags(config),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for policy_arn in NODE_POLICIES:
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy_arn.rsplit('/', 1)[-1]}",
            role=role.name,
            policy_arn=policy_arn,
            opts=pulumi.ResourceOptions(parent=role),
        )
    return role


def kubeconfig(
    name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    certificate_authority: pulumi.Input[str],
    region: str,
) -> pulumi.Output[str]:
    """A kubeconfig that fetches short-lived tokens with the AWS CLI: no static credentials."""

    def render(arguments: list[str]) -> str:
        name, endpoint, certificate = arguments
        return json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": name,
                        "cluster": {"server": endpoint, "certificate-authority-data": certificate},
                    }
                ],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name,
                "users": [
                    {
                        "name": name,
                        "user": {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1beta1",
                                "command": "aws",
                                "args": [
                                    "eks",
                                    "get-token",
                                    "--cluster-name",
                                    name,
                                    "--region",
                                    region,
                                    "--output",
                                    "json",
                                ],
                            }
                        },
                    }
                ],
            }
        )

    return pulumi.Output.all(name, endpoint, certificate_authority).apply(render)


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    node_role: aws.iam.Role
    kubeconfig: pulumi.Output[str]
    system_nodes: aws.eks.NodeGroup

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        network: Network,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "Cluster"), name, None, opts)
        self.component_name, self.config = name, config
        cluster = self.control_plane(network)
        network_addons = [self.addon(cluster, addon, []) for addon in NETWORK_ADDONS]
        self.node_role = node_role(f"{name}-node", config, self)
        node_group = self.system_node_group(cluster, network, network_addons)
        for addon in WORKLOAD_ADDONS:
            self.addon(cluster, addon, [node_group])

        self.name = cluster.name
        self.arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.data
        self.security_group_id = cluster.vpc_config.cluster_security_group_id
        self.system_nodes = node_group
        self.kubeconfig = pulumi.Output.secret(
            kubeconfig(cluster.name, cluster.endpoint, self.certificate_authority, config.region)
        )
        self.register_outputs({"name": self.name})

    def control_plane(self, network: Network) -> aws.eks.Cluster:
        """The EKS control plane: its role, its secrets key, its endpoints and logs."""
        name, config = self.component_name, self.config
        child = pulumi.ResourceOptions(parent=self)
        secrets_key = rotating_key(
            f"{name}-secrets-key", config, "Envelope encryption of Kubernetes secrets", self
        )
        control_plane_role = aws.iam.Role(
            f"{name}-control-plane",
            assume_role_policy=iam.trust_service("eks.amazonaws.com"),
            tags=tags(config),
            opts=child,
        )
        control_plane_policy = aws.iam.RolePolicyAttachment(
            f"{name}-control-plane",
            role=control_plane_role.name,
            policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            opts=child,
        )
        # Public only in dev, and only to the listed networks; prod is reachable from the VPC.
        public_endpoint = not config.is_production and bool(config.public_access_cidrs)
        return aws.eks.Cluster(
            f"{name}-cluster",
            name=config.name,
            version=config.kubernetes_version,
            role_arn=control_plane_role.arn,
            vpc_config={
                "subnet_ids": network.private_subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": public_endpoint,
                "public_access_cidrs": list(config.public_access_cidrs)
                if public_endpoint
                else None,
            },
            access_config={
                "authentication_mode": "API",
                # Whoever runs the AWS layer's first `pulumi up` administers the cluster;
                # CI's roles get their own entries (ci_runner.py, github_deploy.py).
                "bootstrap_cluster_creator_admin_permissions": True,
            },
            enabled_cluster_log_types=CONTROL_PLANE_LOG_TYPES,
            encryption_config={"provider": {"key_arn": secrets_key.arn}, "resources": ["secrets"]},
            # Standard support only: extended support costs six times as much per hour.
            upgrade_policy={"support_type": "STANDARD"},
            tags=tags(config),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[control_plane_policy]),
        )

    def addon(
        self, cluster: aws.eks.Cluster, addon: str, depends_on: list[pulumi.Resource]
    ) -> aws.eks.Addon:
        # EKS picks the add-on version that matches the cluster's Kubernetes version.
        return aws.eks.Addon(
            f"{self.component_name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            configuration_values=ADDON_SETTINGS.get(addon),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            tags=tags(self.config),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def system_node_group(
        self, cluster: aws.eks.Cluster, network: Network, network_addons: list[aws.eks.Addon]
    ) -> aws.eks.NodeGroup:
        """A small managed node group for the controllers, joined once the network
        add-ons exist; the service's nodes come from Karpenter."""
        name, config = self.component_name, self.config
        launch_template = aws.ec2.LaunchTemplate(
            f"{name}-system-nodes",
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": IMDS_HOP_LIMIT,
            },
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "volume_size": ROOT_VOLUME_GIB,
                        "volume_type": "gp3",
                        "encrypted": "true",
                    },
                }
            ],
            tag_specifications=[
                {"resource_type": "instance", "tags": tags(config, Name=f"{config.name}-system")}
            ],
            tags=tags(config),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=cluster.name,
            node_role_arn=self.node_role.arn,
            subnet_ids=network.private_subnet_ids,
            instance_types=[config.system_node_instance_type],
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config={
                "min_size": config.system_nodes.min,
                "desired_size": config.system_nodes.desired,
                "max_size": config.system_nodes.max,
            },
            update_config={"max_unavailable": 1},
            launch_template={
                "id": launch_template.id,
                "version": launch_template.latest_version.apply(str),
            },
            labels={"node-role": "system"},
            tags=tags(config),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=network_addons,
                # The cluster autoscaler or a human may resize it; Pulumi must not fight back.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )
