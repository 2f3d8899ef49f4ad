"""Prometheus (kube-prometheus-stack) scraping the app's pods: the canary analysis and
the alert rules query it. Also the alert rules (alert_rules.py), the Grafana dashboard
(dashboard.py) and the Pushgateway the drift job reports to (a CronJob's pod lives too
briefly to be scraped)."""

import pulumi
import pulumi_kubernetes as kubernetes
import pulumi_random as random

from . import helm_charts
from .alert_rules import rule_groups
from .app_namespace import AppNamespace
from .cluster_connection import ClusterConnection
from .dashboard import dashboard_json
from .naming import component_type
from .pod_security import RESTRICTED_CONTAINER
from .stack_config import ClusterLayerConfig

NAMESPACE = "monitoring"
RETENTION = "15d"
SCRAPE_INTERVAL = "15s"
# Grafana's dashboard sidecar loads ConfigMaps carrying this label (chart default).
DASHBOARD_LABEL = {"grafana_dashboard": "1"}
# Samples one scrape of a service pod may hold (tests/infra/test_alb_routes.py measures
# a pod's real count against it).
SAMPLE_LIMIT = 1000
PUSHGATEWAY_NAME = "prometheus-pushgateway"
PUSHGATEWAY_PORT = 9091
# The label the chart gives the Pushgateway's pods (its chart name), for NetworkPolicies.
PUSHGATEWAY_POD_LABELS = {"app.kubernetes.io/name": PUSHGATEWAY_NAME}
# The operator's labels on the Prometheus pods, as the chart's own Service selects them
# (kube-prometheus-stack 88.3.0, templates/prometheus/service.yaml).
PROMETHEUS_POD_LABELS = {
    "app.kubernetes.io/name": "prometheus",
    "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
}


def prometheus_pods() -> dict:
    """A NetworkPolicy peer: the Prometheus pods, from any namespace's policy."""
    return {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}},
        "podSelector": {"matchLabels": PROMETHEUS_POD_LABELS},
    }


def pushgateway_values(app_namespace: str, pushers: dict[str, str]) -> dict:
    return {
        "fullnameOverride": PUSHGATEWAY_NAME,
        # Anyone who can push can overwrite the drift job's results: only the drift job
        # may, and Prometheus may scrape (the chart's own policy, on its port).
        "networkPolicy": {
            "customSelectors": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": app_namespace}
                    },
                    "podSelector": {"matchLabels": pushers},
                },
                prometheus_pods(),
            ]
        },
        # Prometheus keeps the pushed `job` and `namespace` labels instead of the
        # Pushgateway pod's: the alert rules select the app's namespace.
        "serviceMonitor": {"enabled": True, "namespace": NAMESPACE, "honorLabels": True},
        "containerSecurityContext": RESTRICTED_CONTAINER,
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi"},
            "limits": {"cpu": "100m", "memory": "64Mi"},
        },
    }


class MonitoringStack(pulumi.ComponentResource):
    """The cluster layer's controllers: Prometheus, its operator, Grafana, the Pushgateway."""

    release: kubernetes.helm.v3.Release
    grafana_admin_password: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        pushers: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`pushers`: the labels of the pods that may push to the Pushgateway."""
        super().__init__(component_type(config, "MonitoringStack"), name, None, opts)
        grafana_password = random.RandomPassword(
            f"{name}-grafana-admin",
            length=32,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        chart = helm_charts.release(
            f"{name}-chart",
            helm_charts.KUBE_PROMETHEUS_STACK,
            NAMESPACE,
            {
                # Fixed names, so the canary analysis can find Prometheus at a known address.
                "fullnameOverride": "kube-prometheus-stack",
                "prometheus": {
                    "prometheusSpec": {
                        "retention": RETENTION,
                        # Pick up monitors and rules from every namespace, not only the chart's.
                        "podMonitorSelectorNilUsesHelmValues": False,
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                        "ruleSelectorNilUsesHelmValues": False,
                    }
                },
                "grafana": {"adminPassword": grafana_password.result},
            },
            cluster.provider,
            self,
        )
        # Its ServiceMonitor needs the CRDs the stack's chart installs.
        helm_charts.release(
            f"{name}-pushgateway",
            helm_charts.PROMETHEUS_PUSHGATEWAY,
            NAMESPACE,
            pushgateway_values(config.app_namespace, pushers),
            cluster.provider,
            self,
            depends_on=[chart],
        )
        self.release = chart
        self.grafana_admin_password = pulumi.Output.secret(grafana_password.result)
        self.register_outputs({})


class Monitoring(pulumi.ComponentResource):
    """The app's monitoring objects: what Prometheus scrapes, its alert rules, the
    dashboard. The namespace comes after the stack, so the CRDs exist by then."""

    pushgateway_url: str

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "Monitoring"), name, None, opts)
        kubernetes.apiextensions.CustomResource(
            f"{name}-app-pods",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata={"name": config.project, "namespace": namespace.name},
            spec={
                "selector": {"matchLabels": {"app.kubernetes.io/name": config.project}},
                # The canary analysis tells canary from stable pods by this label.
                "podTargetLabels": ["rollouts-pod-template-hash"],
                # A pod exports about 140 samples; one with many times that (series a
                # flood of odd requests created) is refused whole and shows as down,
                # instead of filling Prometheus.
                "sampleLimit": SAMPLE_LIMIT,
                "podMetricsEndpoints": [
                    {
                        "port": "http",
                        "path": "/metrics",
                        "interval": SCRAPE_INTERVAL,
                        # The operator labels every target endpoint=<port name>; without
                        # this, BentoML's own endpoint="/predict" would be stored as
                        # exported_endpoint and every query on it (canary analysis,
                        # alerts, dashboard) would match nothing.
                        "honorLabels": True,
                    }
                ],
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[namespace]
            ),
        )
        kubernetes.apiextensions.CustomResource(
            f"{name}-alert-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={"name": config.project, "namespace": namespace.name},
            spec={"groups": rule_groups(config)},
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[namespace]
            ),
        )
        kubernetes.core.v1.ConfigMap(
            f"{name}-dashboard",
            metadata={
                "name": f"{config.project}-dashboard",
                "namespace": NAMESPACE,
                "labels": DASHBOARD_LABEL,
            },
            data={f"{config.project}.json": dashboard_json(config)},
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[namespace]
            ),
        )
        self.pushgateway_url = (
            f"http://{PUSHGATEWAY_NAME}.{NAMESPACE}.svc.cluster.local:{PUSHGATEWAY_PORT}"
        )
        self.register_outputs({})
