"""The cluster layer's view of its environment: the AWS layer's stack outputs, and a
Kubernetes provider built from them that authenticates with `aws eks get-token` as
whoever runs the layer (CI's cluster role on the in-VPC runner, or a person in dev)."""

import pulumi
import pulumi_kubernetes as kubernetes

from .cluster import kubeconfig
from .naming import component_type
from .stack_config import ClusterLayerConfig


class ClusterConnection(pulumi.ComponentResource):
    """Every value the cluster layer takes from the AWS layer, by its output name, so
    a missing one fails the run with the name of the output."""

    name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    # The subnets the service's load balancer goes in, and their CIDRs (network.py).
    load_balancer_subnet_ids: pulumi.Output[list[str]]
    load_balancer_cidrs: pulumi.Output[list[str]]
    provider: kubernetes.Provider

    def __init__(
        self, name: str, config: ClusterLayerConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(component_type(config, "ClusterConnection"), name, None, opts)
        self._stack = pulumi.StackReference(
            f"{name}-aws-layer",
            stack_name=config.aws_stack,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = self.output("clusterName")
        self.security_group_id = self.output("clusterSecurityGroupId")
        subnets = self.output("loadBalancerSubnets").apply(
            lambda by_scheme: by_scheme[config.load_balancer_scheme]
        )
        self.load_balancer_subnet_ids = subnets.apply(lambda chosen: chosen["ids"])
        self.load_balancer_cidrs = subnets.apply(lambda chosen: chosen["cidrs"])
        self.provider = kubernetes.Provider(
            f"{name}-kubernetes",
            kubeconfig=kubeconfig(
                self.name,
                self.output("clusterEndpoint"),
                self.output("clusterCertificateAuthority"),
                config.region,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": self.name})

    def output(self, output_name: str) -> pulumi.Output[str]:
        return self._stack.require_output(output_name)
