"""Request traces on demand: the stack's `tracing.enabled` runs an OpenTelemetry
collector in the cluster and points the service at it (docs/logs-and-traces.md).

The service sends `tracing.sampleRatio` of its requests' spans over OTLP/HTTP to the
collector, which batches them and sends them on to X-Ray's own OTLP endpoint, signed with
SigV4 by its Pod Identity role. That endpoint takes OpenTelemetry's random trace ids as
they are (X-Ray's older API needs its own timestamped ones), and stores spans in
CloudWatch Logs once the account's X-Ray Transaction Search is on: the bootstrap stack
turns it on (account_tracing.py).
"""

import json

import pulumi
import pulumi_kubernetes as kubernetes

from . import helm_charts, iam
from .cluster import Cluster
from .cluster_connection import ClusterConnection
from .naming import component_type
from .pod_identity import pod_identity_role
from .pod_security import RESTRICTED_CONTAINER
from .stack_config import AwsLayerConfig, ClusterLayerConfig
from .trace_endpoint import NAME, NAMESPACE, OTLP_HTTP_PORT

SERVICE_ACCOUNT = "otel-collector"
# Named otlp_http since collector v0.144.0 (otlphttp before, still accepted).
XRAY_EXPORTER = "otlp_http/xray"
# The chart's Service ports for receivers this collector does not run.
UNUSED_PORTS = ("otlp", "jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")


def collector_policy() -> str:
    """X-Ray's OTLP endpoint authorises each export as xray:PutTraceSegments, which
    takes no resource ARN (X-Ray's service authorization reference)."""
    return json.dumps(iam.document(iam.allow(["xray:PutTraceSegments"], ["*"])))


def collector_config(config: ClusterLayerConfig) -> dict:
    """The collector's whole configuration, given as the chart's `alternateConfig` (which
    replaces its default one rather than merging into it): receive OTLP/HTTP, batch, send
    signed to X-Ray. The health check is what the chart's probes call."""
    return {
        "extensions": {
            "health_check": {"endpoint": "${env:MY_POD_IP}:13133"},
            "sigv4auth": {"region": config.region, "service": "xray"},
        },
        "receivers": {
            "otlp": {"protocols": {"http": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_HTTP_PORT}"}}}
        },
        "processors": {
            "memory_limiter": {
                "check_interval": "5s",
                "limit_percentage": 80,
                "spike_limit_percentage": 25,
            },
            "batch": {},
        },
        "exporters": {
            XRAY_EXPORTER: {
                "traces_endpoint": f"https://xray.{config.region}.amazonaws.com/v1/traces",
                "auth": {"authenticator": "sigv4auth"},
                "compression": "gzip",
            },
        },
        "service": {
            "extensions": ["health_check", "sigv4auth"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "batch"],
                    "exporters": [XRAY_EXPORTER],
                },
            },
        },
    }


def collector_values(config: ClusterLayerConfig) -> dict:
    return {
        "mode": "deployment",
        "fullnameOverride": NAME,
        # The contrib build: the chart's default (k8s) has neither sigv4auth nor X-Ray.
        "image": {"repository": "otel/opentelemetry-collector-contrib"},
        "replicaCount": 2,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "ports": {port: {"enabled": False} for port in UNUSED_PORTS},
        "alternateConfig": collector_config(config),
        # The image runs as user 10001 with nothing to write.
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": RESTRICTED_CONTAINER,
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
    }


class TraceCollectorAws(pulumi.ComponentResource):
    """The AWS layer's part: the collector's role (unused until a stack turns tracing on)."""

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "TraceCollectorAws"), name, None, opts)
        pod_identity_role(
            f"{name}-collector",
            config,
            cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            collector_policy(),
            self,
        )
        self.register_outputs({})


class TraceCollector(pulumi.ComponentResource):
    """The cluster layer's part: the collector, when the stack sets `tracing.enabled`."""

    release: kubernetes.helm.v3.Release

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "TraceCollector"), name, None, opts)
        self.release = helm_charts.release(
            f"{name}-chart",
            helm_charts.OPENTELEMETRY_COLLECTOR,
            NAMESPACE,
            collector_values(config),
            cluster.provider,
            self,
        )
        self.register_outputs({})
