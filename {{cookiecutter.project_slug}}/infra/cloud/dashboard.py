"""The Grafana dashboard, as code: provisioned by Pulumi as a ConfigMap that Grafana's
dashboard sidecar (kube-prometheus-stack) loads. tests/infra/test_dashboard.py checks that
every query refers to a metric the service, the drift job or kube-state-metrics exports.

No adaptive-batch-size panel: the service's API is not batchable (batching cost more
than it saved, see the design notes), so BentoML exports no such metric.
"""

import json
from typing import Any

from .stack_config import ClusterLayerConfig

# Cluster metrics the panels use, from the chart's kube-state-metrics.
KUBE_STATE_METRICS = (
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_horizontalpodautoscaler_spec_min_replicas",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_pod_container_status_restarts_total",
)
PANEL_WIDTH = 12
PANEL_HEIGHT = 8


def panels(config: ClusterLayerConfig) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(title, unit, [(legend, query)]) for every panel, in reading order."""
    app = f'namespace="{config.app_namespace}"'
    service = f'{app}, endpoint="/predict"'
    duration = f"rate(bentoml_service_request_duration_seconds_bucket{{{service}}}[5m])"
    confidence = f"rate(model_prediction_confidence_bucket{{{app}}}[15m])"
    return [
        (
            "Requests per second by status",
            "reqps",
            [
                (
                    "{{http_response_code}}",
                    "sum by (http_response_code) "
                    f"(rate(bentoml_service_request_total{{{service}}}[5m]))",
                )
            ],
        ),
        (
            "Latency percentiles",
            "s",
            [
                (f"p{q}", f"histogram_quantile(0.{q}, sum by (le) ({duration}))")
                for q in ("50", "95", "99")
            ],
        ),
        (
            "Requests in flight per pod",
            "short",
            [("{{pod}}", f"sum by (pod) (bentoml_service_request_in_progress{{{service}}})")],
        ),
        (
            "Pods against the autoscaler's limits",
            "short",
            [
                (
                    label,
                    f"max(kube_horizontalpodautoscaler_{metric}{{{app}, "
                    f'horizontalpodautoscaler="{config.project}"}})',
                )
                for label, metric in (
                    ("current", "status_current_replicas"),
                    ("minimum", "spec_min_replicas"),
                    ("maximum", "spec_max_replicas"),
                )
            ],
        ),
        (
            "Model version served (stable and canary pods)",
            "short",
            [
                (
                    "{{model_version}} ({{rollouts_pod_template_hash}})",
                    f"count by (model_version, rollouts_pod_template_hash) (model_info{{{app}}})",
                )
            ],
        ),
        (
            "Container restarts (15 min)",
            "short",
            [
                (
                    "{{pod}}",
                    "sum by (pod) (increase(kube_pod_container_status_restarts_total"
                    f'{{{app}, container="service"}}[15m]))',
                )
            ],
        ),
        (
            "Predicted classes (share)",
            "percentunit",
            [
                (
                    "{{label}}",
                    f"sum by (label) (rate(model_predictions_total{{{app}}}[15m])) "
                    f"/ ignoring(label) group_left "
                    f"sum(rate(model_predictions_total{{{app}}}[15m]))",
                )
            ],
        ),
        (
            "Prediction confidence percentiles",
            "percentunit",
            [
                (f"p{q}", f"histogram_quantile(0.{q}, sum by (le) ({confidence}))")
                for q in ("10", "50")
            ],
        ),
        (
            "Feature drift score (drift job; p-value: below 0.05 is drift)",
            "short",
            [("{{feature}}", f"max by (feature) (model_feature_drift_score{{{app}}})")],
        ),
        (
            "Share of drifted features, rows compared",
            "short",
            [
                ("drift share", f"max(model_drift_share{{{app}}})"),
                ("rows compared", f"max(model_drift_rows_compared{{{app}}})"),
                ("enough data (1/0)", f"max(model_drift_enough_data{{{app}}})"),
            ],
        ),
        (
            "Prediction drift score (label, confidence)",
            "short",
            [("{{column}}", f"max by (column) (model_prediction_drift_score{{{app}}})")],
        ),
        (
            "Accuracy on true labels (POST /feedback) and its floor",
            "percentunit",
            [
                ("accuracy", f"max(model_quality_accuracy{{{app}}})"),
                ("floor", f"max(model_quality_accuracy_floor{{{app}}})"),
                ("recall {{class_name}}", f"max by (class_name) (model_quality_recall{{{app}}})"),
            ],
        ),
        (
            "Predictions dropped by the log",
            "short",
            [("dropped/s", f"sum(rate(prediction_log_dropped_total{{{app}}}[5m]))")],
        ),
    ]


def dashboard(config: ClusterLayerConfig) -> dict[str, Any]:
    built = []
    for index, (title, unit, queries) in enumerate(panels(config)):
        built.append(
            {
                "id": index + 1,
                "type": "timeseries",
                "title": title,
                "datasource": {"type": "prometheus", "uid": "prometheus"},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "gridPos": {
                    "x": (index % 2) * PANEL_WIDTH,
                    "y": (index // 2) * PANEL_HEIGHT,
                    "w": PANEL_WIDTH,
                    "h": PANEL_HEIGHT,
                },
                "targets": [
                    {"refId": chr(ord("A") + number), "expr": query, "legendFormat": legend}
                    for number, (legend, query) in enumerate(queries)
                ],
            }
        )
    return {
        "uid": f"{config.project}-service"[:40],
        "title": f"{config.project}: service and model",
        "tags": [config.project],
        "timezone": "utc",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": built,
    }


def dashboard_json(config: ClusterLayerConfig) -> str:
    return json.dumps(dashboard(config), indent=1, sort_keys=True)
