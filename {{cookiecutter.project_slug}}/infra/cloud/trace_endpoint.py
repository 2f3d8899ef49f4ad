"""Where the service sends its spans when the stack traces: the collector's Service
(trace_collector.py). Free of Pulumi, as service_pod.py must be."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .stack_config import ClusterLayerConfig

NAMESPACE = "tracing"
# The chart's objects take this name: the Service is NAME.NAMESPACE.svc.
NAME = "otel-collector"
OTLP_HTTP_PORT = 4318
# The chart labels the collector's pods with its own name.
POD_LABELS = {"app.kubernetes.io/name": "opentelemetry-collector"}


def traces_url() -> str:
    return f"http://{NAME}.{NAMESPACE}.svc.cluster.local:{OTLP_HTTP_PORT}/v1/traces"


def service_tracing_env(config: ClusterLayerConfig) -> list[dict[str, str]]:
    """The service's settings (SERVICE_TRACE_*) that send its spans to the collector, and
    the name X-Ray shows for it: BentoML's would be its class's, the same in every project."""
    if not config.tracing.enabled:
        return []
    return [
        {"name": "SERVICE_TRACE_ENDPOINT", "value": traces_url()},
        {"name": "SERVICE_TRACE_SAMPLE_RATIO", "value": str(config.tracing.sample_ratio)},
        {"name": "OTEL_SERVICE_NAME", "value": config.name},
    ]
