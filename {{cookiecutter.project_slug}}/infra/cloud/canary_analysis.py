"""How a canary is judged, as Argo Rollouts AnalysisTemplates.

1. Locust gate: before the canary gets any traffic, a Job runs the load test of
   loadtests/ against the canary Service alone. The SLOs come from loadtests/slo.toml.
2. Prometheus: at 10% of the traffic, the canary pods' own 5xx ratio and p95 latency,
   against the same SLO file. An empty or NaN result is a failure: no data proves nothing.
"""

import tomllib
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from .app_namespace import AppNamespace
from .cluster_connection import ClusterConnection
from .load_test_pods import (
    IMAGE_DIGEST_SKIP,
    LOADTESTS,
    file_contents,
    files_name,
    locust_arguments,
    locust_pod,
)
from .naming import component_type
from .stack_config import ClusterLayerConfig

# Bounds the Job itself: a Job that hangs or retries must fail the analysis, not pass
# it (Argo Rollouts reports a timed-out job metric as successful otherwise).
GATE_DEADLINE_SECONDS = 300
PROMETHEUS_ADDRESS = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
CANARY_HASH_ARGUMENT = "canary-hash"
# A result must exist, be a number, and meet the objective.
SUCCESS_WHEN = "len(result) > 0 && !isNaN(result[0]) && result[0] <= {limit}"
ANALYSIS_INTERVAL = "1m"


def load_objectives() -> dict[str, float]:
    return tomllib.loads((LOADTESTS / "slo.toml").read_text())["slo"]


def canary_selector(config: ClusterLayerConfig) -> str:
    return (
        f'namespace="{config.app_namespace}", endpoint="/predict", '
        f'rollouts_pod_template_hash="{{{{args.{CANARY_HASH_ARGUMENT}}}}}"'
    )


def prometheus_metrics(config: ClusterLayerConfig) -> list[dict[str, Any]]:
    objectives = load_objectives()
    selector = canary_selector(config)
    # `or vector(0)`: no 5xx series at all means no errors, not "no data".
    errors = (
        f'sum(rate(bentoml_service_request_total{{{selector}, http_response_code=~"5.."}}[2m]))'
    )
    requests = f"sum(rate(bentoml_service_request_total{{{selector}}}[2m]))"
    error_ratio = f"({errors} or vector(0)) / {requests}"
    p95_latency = (
        "histogram_quantile(0.95, sum by (le) "
        f"(rate(bentoml_service_request_duration_seconds_bucket{{{selector}}}[2m])))"
    )
    return [
        {
            "name": name,
            "interval": ANALYSIS_INTERVAL,
            "count": config.canary.analysis_minutes,
            "failureLimit": 0,
            "successCondition": SUCCESS_WHEN.format(limit=limit),
            "provider": {"prometheus": {"address": PROMETHEUS_ADDRESS, "query": query}},
        }
        for name, query, limit in (
            ("error-ratio", error_ratio, objectives["max_error_ratio"]),
            ("p95-latency", p95_latency, objectives["p95_latency_ms"] / 1000),
        )
    ]


def gate_job(
    config: ClusterLayerConfig, canary_service: str, api_keys_secret: str
) -> dict[str, Any]:
    canary_url = f"http://{canary_service}.{config.app_namespace}.svc"
    arguments = locust_arguments("canary_gate", "--host", canary_url)
    return {
        "backoffLimit": 0,
        "activeDeadlineSeconds": GATE_DEADLINE_SECONDS,
        "ttlSecondsAfterFinished": 3600,
        "template": locust_pod(config, "gate", arguments, api_keys_secret),
    }


class CanaryAnalysis(pulumi.ComponentResource):
    gate_template: str
    prometheus_template: str

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        canary_service: str,
        api_keys_secret: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "CanaryAnalysis"), name, None, opts)
        options = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[namespace]
        )
        kubernetes.core.v1.ConfigMap(
            f"{name}-load-test-files",
            metadata={"name": files_name(config), "namespace": namespace.name},
            data=file_contents(),
            opts=options,
        )
        self.gate_template = "locust-gate"
        kubernetes.apiextensions.CustomResource(
            f"{name}-locust-gate",
            api_version="argoproj.io/v1alpha1",
            kind="AnalysisTemplate",
            metadata={
                "name": self.gate_template,
                "namespace": namespace.name,
                "annotations": IMAGE_DIGEST_SKIP,
            },
            spec={
                "metrics": [
                    {
                        "name": "locust-gate",
                        "failureLimit": 0,
                        "provider": {
                            "job": {"spec": gate_job(config, canary_service, api_keys_secret)}
                        },
                    }
                ]
            },
            opts=options,
        )
        self.prometheus_template = "canary-metrics"
        kubernetes.apiextensions.CustomResource(
            f"{name}-canary-metrics",
            api_version="argoproj.io/v1alpha1",
            kind="AnalysisTemplate",
            metadata={"name": self.prometheus_template, "namespace": namespace.name},
            spec={"args": [{"name": CANARY_HASH_ARGUMENT}], "metrics": prometheus_metrics(config)},
            opts=options,
        )
        self.register_outputs({})
