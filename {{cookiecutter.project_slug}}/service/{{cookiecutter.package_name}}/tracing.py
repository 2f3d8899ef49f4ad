"""What BentoML traces, from the service settings: nothing, unless SERVICE_TRACE_ENDPOINT
names an OpenTelemetry collector (in the cluster: docs/logs-and-traces.md).

BentoML wraps every request in OpenTelemetry's ASGI middleware whether or not the spans
go anywhere, and making them took 40% of each request's time; so without an endpoint every
URL is excluded and no span is made. With one, BentoML samples `trace_sample_ratio` of the
requests (whole traces: a caller's sampled `traceparent` is followed) and exports them over
OTLP/HTTP in batches, off the request path.

Each traced request is one server span, `POST /predict`, with the `http.*` attributes and
status, and two children (`http receive`, `http send`). The middleware is the outermost, so
requests DirectApiMiddleware answers are traced exactly as BentoML's router's would be;
RequestContextMiddleware adds the request id (REQUEST_ID_ATTRIBUTE).
"""

import re
from typing import Any

from .settings import ServiceSettings

# The span attribute with the request id: the log lines' field name, so one id finds both.
REQUEST_ID_ATTRIBUTE = "request_id"
# A regular expression every URL matches.
EVERY_URL = ["."]
# Probes and scrapes come every few seconds from the kubelet and Prometheus: never traced.
UNTRACED_PATHS = ("/livez", "/readyz", "/healthz", "/metrics")


def tracing_config(settings: ServiceSettings) -> dict[str, Any]:
    """BentoML's `tracing` service setting."""
    if settings.trace_endpoint is None:
        return {"excluded_urls": EVERY_URL}
    return {
        "exporter_type": "otlp",
        "sample_rate": settings.trace_sample_ratio,
        "excluded_urls": [rf"{re.escape(path)}(\?|$)" for path in UNTRACED_PATHS],
        # No `compression`: BentoML passes it on as a string, which the OTLP/HTTP exporter
        # fails on (it wants its Compression enum). The collector is in the cluster.
        "otlp": {"protocol": "http", "endpoint": settings.trace_endpoint},
    }
