"""The namespace the service runs in: restricted Pod Security Standard enforced, and ALB
readiness gates injected so a rollout never leaves a target group without healthy pods.

Everything in it depends on it, and it depends on the controllers: so no object races a
controller's CRDs or webhooks on create, and on destroy every Ingress, Rollout and pod
is gone while the load balancer controller still runs to remove the ALB behind them."""

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as kubernetes

from .cluster_connection import ClusterConnection
from .naming import component_type
from .stack_config import ClusterLayerConfig

POD_SECURITY_LABELS = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
}


class AppNamespace(pulumi.ComponentResource):
    name: str

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        controllers: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "AppNamespace"), name, None, opts)
        self.name = config.app_namespace
        kubernetes.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": self.name,
                "labels": {
                    **POD_SECURITY_LABELS,
                    "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled",
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=list(controllers)
            ),
        )
        self.register_outputs({"name": self.name})
