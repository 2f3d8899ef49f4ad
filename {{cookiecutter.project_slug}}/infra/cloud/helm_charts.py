"""Every Helm chart the cluster runs, pinned to one version, in one place.

Chart versions are not app versions: each below was seen published, where the comment
says. The controllers match the CRD schemas the tests validate custom resources against:
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


# aws/karpenter-provider-aws tag v1.14.1 (OCI only; the release sets Chart.yaml's version).
KARPENTER = Chart("karpenter", "1.14.1", "oci://public.ecr.aws/karpenter")
# external-secrets/external-secrets tag helm-chart-2.9.0: appVersion v2.9.0.
EXTERNAL_SECRETS = Chart("external-secrets", "2.9.0", "https://charts.external-secrets.io")
# aws/eks-charts stable/aws-load-balancer-controller/Chart.yaml and gh-pages index.yaml:
# 3.5.0, appVersion v3.5.0 (its IAM policy: load_balancer_controller.py).
AWS_LOAD_BALANCER_CONTROLLER = Chart(
    "aws-load-balancer-controller", "3.5.0", "https://aws.github.io/eks-charts"
)
# argoproj/argo-helm tag argo-rollouts-2.41.1 (2026-07-20): appVersion v1.9.1.
ARGO_ROLLOUTS = Chart("argo-rollouts", "2.41.1", "https://argoproj.github.io/argo-helm")
# The controller version that chart installs: delivery uses the kubectl plugin of the same one.
ARGO_ROLLOUTS_CONTROLLER_VERSION = "v1.9.1"
# prometheus-community/helm-charts tag kube-prometheus-stack-88.3.0: operator v0.93.0.
KUBE_PROMETHEUS_STACK = Chart(
    "kube-prometheus-stack", "88.3.0", "https://prometheus-community.github.io/helm-charts"
)
# Holds the drift job's last results for Prometheus to scrape. prometheus-community/
# helm-charts tag prometheus-pushgateway-3.8.0: appVersion v1.11.3 (no chart 3.11.x exists;
# 1.11.2 is the app's version, not the chart's).
PROMETHEUS_PUSHGATEWAY = Chart(
    "prometheus-pushgateway", "3.8.0", "https://prometheus-community.github.io/helm-charts"
)

# aws/eks-charts stable/aws-for-fluent-bit/Chart.yaml and gh-pages index.yaml: 0.2.0,
# appVersion 3.2.1 (Fluent Bit v4.2.2, which takes EKS Pod Identity credentials since
# v4.0.0). Its cloudwatch_logs output is Fluent Bit's own C plugin.
AWS_FOR_FLUENT_BIT = Chart("aws-for-fluent-bit", "0.2.0", "https://aws.github.io/eks-charts")
# open-telemetry/opentelemetry-helm-charts tag opentelemetry-collector-0.170.0: appVersion
# 0.158.0, whose contrib image has the sigv4auth extension and the otlp_http exporter.
OPENTELEMETRY_COLLECTOR = Chart(
    "opentelemetry-collector",
    "0.170.0",
    "https://open-telemetry.github.io/opentelemetry-helm-charts",
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
