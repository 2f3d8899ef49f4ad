"""How a canary is judged, as Argo Rollouts AnalysisTemplates.

1. Locust gate: before the canary gets any traffic, a Job runs the load test of
   loadtests/ against the canary Service alone. The SLOs come from loadtests/slo.toml.
2. Prometheus: at 10% of the traffic, the canary pods' own 5xx ratio and p95 latency,
   against the same SLO file. An empty or NaN result is a failure: no data proves nothing.
   In the same AnalysisTemplate a Locust Job drives the canary at slo.toml's steady rate
   for the whole analysis (staging has no users), and every measurement also needs
   slo.toml's minimum number of canary requests in its window ("canary-requests").

The queries filter on the labels BentoML exports (`endpoint="/predict"`); the PodMonitor
(monitoring.py) honours them, so Prometheus stores them under the same names.
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
ENOUGH_REQUESTS_WHEN = "len(result) > 0 && !isNaN(result[0]) && result[0] >= {minimum}"
ANALYSIS_INTERVAL = "1m"
WINDOW = "2m"
# The first measurement waits for the load generator's first minute of traffic.
FIRST_MEASUREMENT_DELAY = "1m"
LOAD_SHAPE = "canary_analysis"
# The analysis runs in the background from the first traffic step to promotion, one
# measurement a minute (config.canary.traffic_minutes). The load outlasts the last
# measurement, so that measurement's window is full of traffic too.
LOAD_AFTER_LAST_MEASUREMENT_SECONDS = 30
# Pulling Locust's image and starting it, on top of the load's own duration.
LOAD_STARTUP_SECONDS = 180


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
        "sum(rate(bentoml_service_request_total"
        f'{{{selector}, http_response_code=~"5.."}}[{WINDOW}]))'
    )
    requests = f"sum(rate(bentoml_service_request_total{{{selector}}}[{WINDOW}]))"
    error_ratio = f"({errors} or vector(0)) / {requests}"
    p95_latency = (
        "histogram_quantile(0.95, sum by (le) "
        f"(rate(bentoml_service_request_duration_seconds_bucket{{{selector}}}[{WINDOW}])))"
    )
    # No series at all (no request ever) is an empty result, which fails like too few.
    canary_requests = f"sum(increase(bentoml_service_request_total{{{selector}}}[{WINDOW}]))"
    return [
        {
            "name": name,
            "initialDelay": FIRST_MEASUREMENT_DELAY,
            "interval": ANALYSIS_INTERVAL,
            "count": config.canary.traffic_minutes,
            "failureLimit": 0,
            "successCondition": condition,
            "provider": {"prometheus": {"address": PROMETHEUS_ADDRESS, "query": query}},
        }
        for name, query, condition in (
            (
                "error-ratio",
                error_ratio,
                SUCCESS_WHEN.format(limit=objectives["max_error_ratio"]),
            ),
            (
                "p95-latency",
                p95_latency,
                SUCCESS_WHEN.format(limit=objectives["p95_latency_ms"] / 1000),
            ),
            (
                "canary-requests",
                canary_requests,
                ENOUGH_REQUESTS_WHEN.format(
                    minimum=int(objectives["canary_analysis_min_requests"])
                ),
            ),
        )
    ]


def load_seconds(config: ClusterLayerConfig) -> int:
    """How long the analysis' load generator runs: past the last measurement."""
    return config.canary.traffic_minutes * 60 + LOAD_AFTER_LAST_MEASUREMENT_SECONDS


def analysis_load_job(
    config: ClusterLayerConfig, canary_service: str, canary_key_secret: str
) -> dict[str, Any]:
    """The Locust Job that drives the canary while Prometheus judges it. Its pods carry
    the gate's labels: the NetworkPolicies let exactly those reach the service."""
    canary_url = f"http://{canary_service}.{config.app_namespace}.svc"
    arguments = locust_arguments(LOAD_SHAPE, "--host", canary_url)
    duration = load_seconds(config)
    return {
        "backoffLimit": 0,
        "activeDeadlineSeconds": duration + LOAD_STARTUP_SECONDS,
        "ttlSecondsAfterFinished": 3600,
        "template": locust_pod(
            config,
            "gate",
            arguments,
            canary_key_secret,
            environment={"CANARY_ANALYSIS_SECONDS": str(duration)},
        ),
    }


def gate_job(
    config: ClusterLayerConfig, canary_service: str, canary_key_secret: str
) -> dict[str, Any]:
    canary_url = f"http://{canary_service}.{config.app_namespace}.svc"
    arguments = locust_arguments("canary_gate", "--host", canary_url)
    return {
        "backoffLimit": 0,
        "activeDeadlineSeconds": GATE_DEADLINE_SECONDS,
        "ttlSecondsAfterFinished": 3600,
        "template": locust_pod(config, "gate", arguments, canary_key_secret),
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
        canary_key_secret: str,
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
                            "job": {"spec": gate_job(config, canary_service, canary_key_secret)}
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
            metadata={
                "name": self.prometheus_template,
                "namespace": namespace.name,
                "annotations": IMAGE_DIGEST_SKIP,
            },
            spec={
                "args": [{"name": CANARY_HASH_ARGUMENT}],
                "metrics": [
                    *prometheus_metrics(config),
                    {
                        # No `timeout`: a timed-out job metric can pass (argo-rollouts#4393);
                        # the Job's own deadline bounds it.
                        "name": "canary-load",
                        "failureLimit": 0,
                        "provider": {
                            "job": {
                                "spec": analysis_load_job(config, canary_service, canary_key_secret)
                            }
                        },
                    },
                ],
            },
            opts=options,
        )
        self.register_outputs({})
