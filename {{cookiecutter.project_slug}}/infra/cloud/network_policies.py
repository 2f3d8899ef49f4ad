"""Who may talk to whom in the app namespace (enforced by the VPC CNI's network policy
agent). Nothing, unless a policy says so: the namespace denies all traffic by default.
The service accepts its port from its load balancer's subnets (the ALB sends straight to
pod IPs, from addresses in its own subnets, which hold nothing else: network.py), from
Prometheus and from the load-test pods, and calls out to nothing but DNS (and the trace
collector, when the stack traces: trace_endpoint.py); the load-test
pods reach the service, and a distributed run's workers its master. The drift job's own
policy is in drift_cron_job.py, the Pushgateway's in prometheus_stack.py."""

from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from .app_namespace import AppNamespace
from .cluster_connection import ClusterConnection
from .load_test_pods import MASTER_PORT
from .prometheus_stack import prometheus_pods
from .service_pod import PORT, labels
from .stack_config import ClusterLayerConfig
from .trace_endpoint import NAMESPACE as TRACING_NAMESPACE
from .trace_endpoint import OTLP_HTTP_PORT
from .trace_endpoint import POD_LABELS as COLLECTOR_POD_LABELS

DNS = [{"protocol": protocol, "port": 53} for protocol in ("UDP", "TCP")]


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


def to_the_trace_collector(config: ClusterLayerConfig) -> list[dict[str, Any]]:
    if not config.tracing.enabled:
        return []
    collector = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": TRACING_NAMESPACE}},
        "podSelector": {"matchLabels": COLLECTOR_POD_LABELS},
    }
    return [{"to": [collector], "ports": [{"protocol": "TCP", "port": OTLP_HTTP_PORT}]}]


def outbound_only(
    name: str,
    metadata: dict[str, Any],
    pod_labels: dict[str, str],
    egress: list[dict[str, Any]],
    opts: pulumi.ResourceOptions,
) -> kubernetes.networking.v1.NetworkPolicy:
    """A job's policy: nothing may call its pods; they may call `egress` and DNS."""
    return kubernetes.networking.v1.NetworkPolicy(
        name,
        metadata=metadata,
        spec={
            "podSelector": {"matchLabels": pod_labels},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [*egress, *only_dns()],
        },
        opts=opts,
    )


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
    # Every pod, in and out: a pod no other policy selects can do nothing.
    kubernetes.networking.v1.NetworkPolicy(
        f"{name}-default-deny",
        metadata={"name": "default-deny", "namespace": namespace.name},
        spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        opts=options,
    )
    kubernetes.networking.v1.NetworkPolicy(
        f"{name}-service",
        metadata={"name": config.project, "namespace": namespace.name},
        spec={
            "podSelector": {"matchLabels": labels(config)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": cluster.load_balancer_cidrs.apply(
                        lambda cidrs: [
                            *({"ipBlock": {"cidr": cidr}} for cidr in cidrs),
                            prometheus_pods(),
                            {"podSelector": {"matchLabels": load_test_labels}},
                        ]
                    ),
                    "ports": service_port,
                }
            ],
            "egress": [*to_the_trace_collector(config), *only_dns()],
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
