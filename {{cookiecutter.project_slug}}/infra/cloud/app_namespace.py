"""The namespace the service runs in: restricted Pod Security Standard enforced, and ALB
readiness gates injected so a rollout never leaves a target group without healthy pods."""

import pulumi
import pulumi_kubernetes as kubernetes

from .cluster import Cluster
from .naming import component_type
from .stack_config import StackConfig

POD_SECURITY_LABELS = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
}


class AppNamespace(pulumi.ComponentResource):
    name: str

    def __init__(
        self,
        name: str,
        config: StackConfig,
        cluster: Cluster,
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
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )
        self.register_outputs({"name": self.name})
