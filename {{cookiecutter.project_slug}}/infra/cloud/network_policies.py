"""Who may talk to whom in the app namespace (enforced by the VPC CNI's network policy
agent): the service accepts its port from the VPC (the ALB sends straight to pod IPs),
from Prometheus and from the load-test gate, and calls out to nothing but DNS."""

from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from .app_namespace import AppNamespace
from .cluster_connection import ClusterConnection
from .load_test_pods import MASTER_PORT
from .service_pod import PORT, labels
from .stack_config import ClusterLayerConfig

DNS = [{"protocol": protocol, "port": 53} for protocol in ("UDP", "TCP")]
MONITORING_NAMESPACE = "monitoring"


def only_dns() -> list[dict[str, Any]]:
    return [
        {
            "to": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                    }
                }
            ],
            "ports": DNS,
        }
    ]


def create_network_policies(
    name: str,
    config: ClusterLayerConfig,
    cluster: ClusterConnection,
    namespace: AppNamespace,
    load_test_labels: dict[str, str],
    parent: pulumi.Resource,
) -> None:
    options = pulumi.ResourceOptions(
        parent=parent, provider=cluster.provider, depends_on=[namespace]
    )
    service_port = [{"protocol": "TCP", "port": PORT}]
    master_port = [{"protocol": "TCP", "port": MASTER_PORT}]
    kubernetes.networking.v1.NetworkPolicy(
        f"{name}-service",
        metadata={"name": config.project, "namespace": namespace.name},
        spec={
            "podSelector": {"matchLabels": labels(config)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        {"ipBlock": {"cidr": cluster.vpc_cidr}},
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}
                            }
                        },
                        {"podSelector": {"matchLabels": load_test_labels}},
                    ],
                    "ports": service_port,
                }
            ],
            "egress": only_dns(),
        },
        opts=options,
    )
    kubernetes.networking.v1.NetworkPolicy(
        f"{name}-load-test",
        metadata={"name": f"{config.project}-load-test", "namespace": namespace.name},
        spec={
            "podSelector": {"matchLabels": load_test_labels},
            "policyTypes": ["Ingress", "Egress"],
            # A distributed run's workers report to its master.
            "ingress": [
                {"from": [{"podSelector": {"matchLabels": load_test_labels}}], "ports": master_port}
            ],
            "egress": [
                {"to": [{"podSelector": {"matchLabels": labels(config)}}], "ports": service_port},
                {"to": [{"podSelector": {"matchLabels": load_test_labels}}], "ports": master_port},
                *only_dns(),
            ],
        },
        opts=options,
    )
