"""The first `pulumi up` puts every controller on the system node group: Karpenter's nodes
only come after its NodePool, and Karpenter itself must not run on them. A node holds at
most MAX_PODS[instance type] pods (the VPC CNI's address limit), whatever its CPU and
memory, so the system nodes must hold every DaemonSet pod, every controller replica and
one surge pod per Deployment while a Helm or add-on upgrade rolls it. Otherwise pods stay
Pending, an atomic Helm release times out and rolls back, and the first `up` fails.

Pod counts come from the plan (add-ons, releases and their values) and, where a value is
not set, from each chart's defaults at its pinned version (aws/eks-charts, argo-helm,
external-secrets, prometheus-community/helm-charts, karpenter-provider-aws values.yaml).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloud.capacity import MAX_PODS
from tests.infra.conftest import Plan

# DaemonSets, one pod per node: what each EKS add-on and chart runs on every node.
ADDON_DAEMONSETS = {
    "vpc-cni": ["aws-node"],
    "kube-proxy": ["kube-proxy"],
    "eks-pod-identity-agent": ["eks-pod-identity-agent"],
    "aws-efs-csi-driver": ["efs-csi-node"],
}


@dataclass(frozen=True)
class Workload:
    name: str
    replicas: int
    deployment: bool  # a Deployment rolls with a surge pod; a StatefulSet replaces in place


# EKS add-ons' controllers at their EKS defaults: coredns 2 ("regardless of the number of
# nodes", EKS docs), metrics-server 2 (the EKS community add-on), efs-csi-controller 2
# (aws-efs-csi-driver chart controller.replicaCount).
ADDON_WORKLOADS = {
    "coredns": [Workload("coredns", 2, True)],
    "metrics-server": [Workload("metrics-server", 2, True)],
    "aws-efs-csi-driver": [Workload("efs-csi-controller", 2, True)],
}


def value(values: dict[str, Any], path: str, default: int) -> int:
    """A replica count from a release's values, else the chart's default."""
    found: Any = values
    for key in path.split("."):
        if not isinstance(found, dict) or key not in found:
            return default
        found = found[key]
    return int(found)


def enabled(values: dict[str, Any], path: str) -> bool:
    """Whether a chart's part is on; every part counted here is on by default."""
    return bool(value(values, path, 1))


# Per chart, its workloads for the release's values (defaults from each chart's values.yaml
# at the pinned version).
CHART_WORKLOADS: dict[str, Callable[[dict[str, Any]], list[Workload]]] = {
    # karpenter 1.14.1: replicas 2, required hostname anti-affinity.
    "karpenter": lambda values: [Workload("karpenter", value(values, "replicas", 2), True)],
    # aws-load-balancer-controller 3.5.0: replicaCount 2.
    "aws-load-balancer-controller": lambda values: [
        Workload("aws-load-balancer-controller", value(values, "replicaCount", 2), True)
    ],
    # external-secrets 2.9.0: operator, webhook and cert-controller, one replica each.
    "external-secrets": lambda values: [
        Workload("external-secrets", value(values, "replicaCount", 1), True),
        *(
            [Workload("webhook", value(values, "webhook.replicaCount", 1), True)]
            if enabled(values, "webhook.create")
            else []
        ),
        *(
            [Workload("cert-controller", value(values, "certController.replicaCount", 1), True)]
            if enabled(values, "certController.create")
            else []
        ),
    ],
    # argo-rollouts 2.41.x: controller.replicas 2; the dashboard is off by default.
    "argo-rollouts": lambda values: [
        Workload("argo-rollouts", value(values, "controller.replicas", 2), True),
        *(
            [Workload("argo-rollouts-dashboard", value(values, "dashboard.replicas", 1), True)]
            if value(values, "dashboard.enabled", 0)
            else []
        ),
    ],
    # kube-prometheus-stack 88.3.0: operator (1, fixed), Prometheus and Alertmanager
    # (StatefulSets, 1 each), grafana and kube-state-metrics (1 each).
    "kube-prometheus-stack": lambda values: [
        Workload("prometheus-operator", 1, True),
        Workload("prometheus", value(values, "prometheus.prometheusSpec.replicas", 1), False),
        Workload("alertmanager", value(values, "alertmanager.alertmanagerSpec.replicas", 1), False),
        Workload("grafana", value(values, "grafana.replicas", 1), True),
        Workload("kube-state-metrics", value(values, "kube-state-metrics.replicas", 1), True),
    ],
    # aws-for-fluent-bit 0.2.0: a DaemonSet only (below).
    "aws-for-fluent-bit": lambda values: [],
    # opentelemetry-collector 0.170.0 in mode deployment: replicaCount 1.
    "opentelemetry-collector": lambda values: [
        Workload("opentelemetry-collector", value(values, "replicaCount", 1), True)
    ],
    # prometheus-pushgateway 3.8.0: replicaCount 1, a Deployment unless runAsStatefulSet.
    "prometheus-pushgateway": lambda values: [
        Workload(
            "prometheus-pushgateway",
            value(values, "replicaCount", 1),
            not value(values, "runAsStatefulSet", 0),
        )
    ],
}
CHART_DAEMONSETS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    # kube-prometheus-stack's node exporter subchart runs one pod on every node.
    "kube-prometheus-stack": lambda values: (
        ["prometheus-node-exporter"] if enabled(values, "nodeExporter.enabled") else []
    ),
    "aws-for-fluent-bit": lambda values: ["aws-for-fluent-bit"],
}


@dataclass(frozen=True)
class SystemPods:
    daemonsets: list[str]
    workloads: list[Workload]

    def needed(self, nodes: int) -> int:
        replicas = sum(workload.replicas for workload in self.workloads)
        surge = sum(1 for workload in self.workloads if workload.deployment)
        return len(self.daemonsets) * nodes + replicas + surge

    def explain(self, nodes: int) -> str:
        replicas = sum(workload.replicas for workload in self.workloads)
        surge = sum(1 for workload in self.workloads if workload.deployment)
        return (
            f"{len(self.daemonsets)} DaemonSets x {nodes} nodes + {replicas} replicas "
            f"+ {surge} surge pods = {self.needed(nodes)}"
        )


def chart_name(chart: str) -> str:
    return chart.rsplit("/", 1)[-1]


def system_pods(plan: Plan) -> SystemPods:
    addons = [addon["inputs"]["addonName"] for addon in plan.all("aws:eks/addon:Addon")]
    charts = [
        (chart_name(release["inputs"]["chart"]), release["inputs"].get("values") or {})
        for release in plan.all("kubernetes:helm.sh/v3:Release")
    ]
    unknown = {name for name, _ in charts} - set(CHART_WORKLOADS)
    assert not unknown, f"count the pods of {sorted(unknown)} here"
    daemonsets = [pod for addon in addons for pod in ADDON_DAEMONSETS.get(addon, [])]
    daemonsets += [
        pod for name, values in charts for pod in CHART_DAEMONSETS.get(name, lambda _: [])(values)
    ]
    workloads = [workload for addon in addons for workload in ADDON_WORKLOADS.get(addon, [])]
    workloads += [workload for name, values in charts for workload in CHART_WORKLOADS[name](values)]
    return SystemPods(daemonsets, workloads)


def system_node_group(plan: Plan) -> tuple[str, dict[str, float]]:
    group = plan.one("aws:eks/nodeGroup:NodeGroup", "cluster-system")
    (instance_type,) = group["instanceTypes"]
    return instance_type, group["scalingConfig"]


def test_the_plan_counts_the_daemonsets_every_system_node_runs(plan: Plan) -> None:
    # The four add-ons' node agents, kube-prometheus-stack's node exporter and the log agent.
    assert sorted(system_pods(plan).daemonsets) == sorted(
        [
            "aws-node",
            "kube-proxy",
            "eks-pod-identity-agent",
            "efs-csi-node",
            "prometheus-node-exporter",
            "aws-for-fluent-bit",
        ]
    )


def test_the_system_nodes_hold_every_controller_of_the_first_up(plan: Plan) -> None:
    instance_type, scaling = system_node_group(plan)
    nodes = int(scaling["desiredSize"])
    capacity = nodes * MAX_PODS[instance_type]
    pods = system_pods(plan)
    assert pods.needed(nodes) <= capacity, (
        f"{plan.stack}: {pods.explain(nodes)} pods, but {nodes} x {instance_type} hold "
        f"{nodes} x {MAX_PODS[instance_type]} = {capacity}"
    )


def test_two_t3_medium_system_nodes_would_not_hold_them(plan: Plan) -> None:
    # The old dev setting: 2 x 17 = 34 pods, fewer than the first `up` needs.
    pods = system_pods(plan)
    assert pods.needed(2) > 2 * MAX_PODS["t3.medium"], pods.explain(2)


def test_karpenters_two_replicas_have_two_system_nodes_even_at_the_minimum(plan: Plan) -> None:
    # Karpenter's chart requires its replicas on distinct hostnames and off its own nodes:
    # with one system node, the second replica stays Pending and the release times out.
    (karpenter,) = [
        workload for workload in system_pods(plan).workloads if workload.name == "karpenter"
    ]
    _, scaling = system_node_group(plan)
    assert scaling["minSize"] >= karpenter.replicas == 2
    assert scaling["desiredSize"] >= karpenter.replicas
