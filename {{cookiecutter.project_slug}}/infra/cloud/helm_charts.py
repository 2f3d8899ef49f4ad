"""Every Helm chart the cluster runs, pinned to one version, in one place.

The versions match the CRD schemas the tests validate custom resources against:
Karpenter 1.14.1, External Secrets 2.9.0, Argo Rollouts 1.9.1 (chart 2.41.1) and the
Prometheus operator 0.93.0 (kube-prometheus-stack 88.3.0).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes


@dataclass(frozen=True)
class Chart:
    name: str
    version: str
    repository: str

    @property
    def is_oci(self) -> bool:
        return self.repository.startswith("oci://")


KARPENTER = Chart("karpenter", "1.14.1", "oci://public.ecr.aws/karpenter")
EXTERNAL_SECRETS = Chart("external-secrets", "2.9.0", "https://charts.external-secrets.io")
AWS_LOAD_BALANCER_CONTROLLER = Chart(
    "aws-load-balancer-controller", "3.5.0", "https://aws.github.io/eks-charts"
)
ARGO_ROLLOUTS = Chart("argo-rollouts", "2.41.1", "https://argoproj.github.io/argo-helm")
# The controller version that chart installs: delivery uses the kubectl plugin of the same one.
ARGO_ROLLOUTS_CONTROLLER_VERSION = "v1.9.1"
KUBE_PROMETHEUS_STACK = Chart(
    "kube-prometheus-stack", "88.3.0", "https://prometheus-community.github.io/helm-charts"
)
# Holds the drift job's last results for Prometheus to scrape (Pushgateway 1.11).
PROMETHEUS_PUSHGATEWAY = Chart(
    "prometheus-pushgateway", "3.11.2", "https://prometheus-community.github.io/helm-charts"
)


def release(
    name: str,
    chart: Chart,
    namespace: str,
    values: dict[str, Any],
    provider: kubernetes.Provider,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> kubernetes.helm.v3.Release:
    """A Helm release that waits until its workloads are ready, so what depends on it
    (custom resources of its CRDs, pods that need its webhook) comes after."""
    location = (
        {"chart": f"{chart.repository}/{chart.name}"}
        if chart.is_oci
        else {"chart": chart.name, "repository_opts": {"repo": chart.repository}}
    )
    return kubernetes.helm.v3.Release(
        name,
        **location,
        version=chart.version,
        namespace=namespace,
        create_namespace=True,
        atomic=True,
        cleanup_on_fail=True,
        values=values,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on)),
    )
