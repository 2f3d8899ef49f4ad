"""Prometheus alert rules for the service and its model, declared as a PrometheusRule.

Latency and error thresholds come from loadtests/slo.toml (the only copy, also read by
the load tests and the canary analysis). The same rule groups are written to a file for
`promtool test rules` (tests/infra/test_alert_rules.py), so what is tested is what is
declared. Each rule's `description` says what it means for whoever is on call.
"""

from typing import Any

from .canary_analysis import load_objectives
from .stack_config import ClusterLayerConfig

# The service's default SERVICE_MAX_CONCURRENCY: more requests in flight get 429.
MAX_CONCURRENCY = 64
SATURATION_SHARE = 0.75
# The drift job runs hourly; two missed runs mean it is broken.
DRIFT_JOB_STALE_SECONDS = 3 * 3600
LOW_CONFIDENCE_BUCKET = "0.6"
LOW_CONFIDENCE_SHARE = 0.2


def alert(name: str, expr: str, duration: str, severity: str, summary: str, description: str):
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


def service_rules(config: ClusterLayerConfig) -> list[dict[str, Any]]:
    objectives = load_objectives()
    service = f'namespace="{config.app_namespace}", endpoint="/predict"'
    requests = f"sum(rate(bentoml_service_request_total{{{service}}}[5m]))"

    def share(status: str) -> str:
        rate = f'rate(bentoml_service_request_total{{{service}, http_response_code=~"{status}"}}'
        return f"(sum({rate}[5m])) or vector(0)) / {requests}"

    p99 = (
        "histogram_quantile(0.99, sum by (le) "
        f"(rate(bentoml_service_request_duration_seconds_bucket{{{service}}}[5m])))"
    )
    in_flight = f"avg(bentoml_service_request_in_progress{{{service}}})"
    rules = [
        alert(
            "ServiceErrorRatioHigh",
            f"{share('5..')} > {objectives['max_error_ratio']}",
            "5m",
            "critical",
            "More than {{ $value | humanizePercentage }} of predictions fail with 5xx",
            "Clients are getting server errors above the SLO. Check the pods' logs for "
            "exceptions, and whether a rollout is in progress (kubectl argo rollouts get "
            "rollout); abort it if the canary is the cause.",
        ),
        alert(
            "ServiceLatencyP99AboveSlo",
            f"{p99} > {objectives['p99_latency_ms'] / 1000}",
            "10m",
            "warning",
            "p99 latency is {{ $value | humanizeDuration }}, above the SLO",
            "Slow answers: look at in-flight requests and CPU. If pods are saturated and the "
            "HPA is at its maximum, raise serviceReplicas.max; otherwise look for slow batches.",
        ),
        alert(
            "ServiceRejectingRequests",
            f"{share('429')} > {objectives['max_error_ratio']}",
            "5m",
            "warning",
            "{{ $value | humanizePercentage }} of requests are refused with 429",
            "Pods are at their concurrency limit and turn clients away. Scale out "
            "(serviceReplicas.max, Karpenter's CPU limit) or find what makes requests slow.",
        ),
        alert(
            "ServiceSaturated",
            f"{in_flight} > {MAX_CONCURRENCY * SATURATION_SHARE:g}",
            "10m",
            "warning",
            f"{{{{ $value }}}} requests in flight per pod, near the limit of {MAX_CONCURRENCY}",
            "Pods are close to refusing requests with 429. Check whether the HPA can still "
            "add pods and whether nodes are pending.",
        ),
        alert(
            "ServicePodRestarting",
            "increase(kube_pod_container_status_restarts_total"
            f'{{namespace="{config.app_namespace}", container="service"}}[15m]) > 2',
            "0m",
            "warning",
            "Pod {{ $labels.pod }} restarted {{ $value }} times in 15 minutes",
            "Crash loop or failing liveness probe (a crashed BentoML worker is not respawned "
            "in a container). Read the previous container's logs: kubectl logs --previous.",
        ),
        alert(
            "PredictionLogDropping",
            "sum(rate(prediction_log_dropped_total"
            f'{{namespace="{config.app_namespace}"}}[10m])) > 0',
            "10m",
            "warning",
            "The prediction log is dropping predictions",
            "The log's writer cannot keep up (slow volume or too high a sample rate). Drift "
            "reports see less traffic; lower SERVICE_PREDICTION_LOG_SAMPLE_RATE.",
        ),
    ]
    if config.is_production:
        rules.append(
            alert(
                "ServiceReceivesNoRequests",
                f"({requests} or vector(0)) == 0",
                "15m",
                "critical",
                "No prediction requests for 15 minutes",
                "Production always has traffic: clients cannot reach the service. Check the "
                "load balancer's target health, the Ingress and DNS, then the clients.",
            )
        )
    return rules


def model_rules(config: ClusterLayerConfig) -> list[dict[str, Any]]:
    drift = f'namespace="{config.app_namespace}"'
    confidence = f"model_prediction_confidence_bucket{{{drift}"
    return [
        alert(
            "ModelFeatureDrift",
            f"max by (feature) (model_feature_drifted{{{drift}}}) == 1",
            "0m",
            "warning",
            "Feature {{ $labels.feature }} no longer looks like the training data",
            "Live inputs of this feature drifted from the training data (see the drift "
            "report). Find out whether clients changed or the world did; retrain on recent "
            "data if the model's answers are no longer trustworthy.",
        ),
        alert(
            "ModelDatasetDrift",
            f"max(model_drift_share{{{drift}}}) >= 0.5",
            "0m",
            "critical",
            "Half or more of the features drifted ({{ $value | humanizePercentage }})",
            "The model is answering inputs unlike anything it was trained on. Treat its "
            "predictions as unreliable until it is retrained or the input problem is fixed.",
        ),
        alert(
            "ModelPredictionConfidenceLow",
            f'(sum(rate({confidence}, le="{LOW_CONFIDENCE_BUCKET}"}}[1h])) '
            f'/ sum(rate({confidence}, le="+Inf"}}[1h]))) > {LOW_CONFIDENCE_SHARE}',
            "30m",
            "warning",
            "{{ $value | humanizePercentage }} of predictions have confidence of "
            f"{LOW_CONFIDENCE_BUCKET} or less",
            "Concept drift signal: the model is unsure far more often than on its training "
            "data. Compare the predicted-class mix on the dashboard with the drift report.",
        ),
        alert(
            "ModelDriftJobStale",
            f"(time() - max(model_drift_last_run_timestamp_seconds{{{drift}}})) "
            f"> {DRIFT_JOB_STALE_SECONDS} "
            f"or absent(model_drift_last_run_timestamp_seconds{{{drift}}})",
            "30m",
            "warning",
            "The drift job has not reported for over 3 hours",
            "Nobody is checking the model's inputs. Look at the drift CronJob's last Jobs "
            "(kubectl get jobs) and their logs.",
        ),
        alert(
            "ModelDriftNotEnoughData",
            f"max(model_drift_enough_data{{{drift}}}) == 0",
            "3h",
            "info",
            "The drift job had too few logged predictions to judge drift",
            "Low traffic or prediction logging off/under-sampled: drift goes unnoticed. "
            "Raise SERVICE_PREDICTION_LOG_SAMPLE_RATE or the job's window.",
        ),
        # Pushed only when enough labels came back (model.toml's min_labelled_rows), so
        # a handful of labels never fires it.
        alert(
            "ModelAccuracyBelowTraining",
            f"max(model_quality_below_floor{{{drift}}}) == 1",
            "0m",
            "warning",
            "Accuracy on true labels fell below training's, less the margin",
            "Labels sent back to POST /feedback show the model answering worse than its "
            "held-out evaluation (model_quality_accuracy vs model_quality_accuracy_floor, "
            "per-class recall in model_quality_recall). Retrain on recent labelled data.",
        ),
    ]


def rule_groups(config: ClusterLayerConfig) -> list[dict[str, Any]]:
    return [
        {"name": f"{config.project}-service", "rules": service_rules(config)},
        {"name": f"{config.project}-model", "rules": model_rules(config)},
    ]
