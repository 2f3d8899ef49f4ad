"""The drift job's results as Prometheus metrics: written as a text file locally, pushed
to the Pushgateway in the cluster (a CronJob lives too briefly to be scraped)."""

from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from .drift import DriftResult
from .quality import QualityResult

PUSH_JOB = "model-drift"

# Every metric the drift job exports: the dashboard and the alert rules may use these.
EXPORTED = {
    "model_drift_enough_data": "gauge",
    "model_drift_rows_compared": "gauge",
    "model_drift_share": "gauge",
    "model_drift_detected": "gauge",
    "model_feature_drift_score": "gauge",
    "model_feature_drifted": "gauge",
    "model_prediction_drift_score": "gauge",
    "model_prediction_drifted": "gauge",
    "model_drift_last_run_timestamp_seconds": "gauge",
    "model_quality_labelled_rows": "gauge",
    "model_quality_enough_labels": "gauge",
    "model_quality_accuracy": "gauge",
    "model_quality_accuracy_floor": "gauge",
    "model_quality_below_floor": "gauge",
    "model_quality_recall": "gauge",
}


def registry_for(
    result: DriftResult, quality: QualityResult, model_version: str
) -> CollectorRegistry:
    registry = CollectorRegistry()

    def gauge(name: str, description: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, description, ["model_version", *labels], registry=registry)

    add_quality(gauge, quality, model_version)

    enough = result.verdict != "not enough data"
    gauge("model_drift_enough_data", "1 if the window had enough rows to judge drift.").labels(
        model_version
    ).set(int(enough))
    gauge("model_drift_rows_compared", "Logged predictions compared with the reference.").labels(
        model_version
    ).set(result.rows_compared)
    gauge("model_drift_last_run_timestamp_seconds", "When the drift job last finished.").labels(
        model_version
    ).set_to_current_time()
    if not enough:
        return registry
    gauge("model_drift_share", "Share of features whose distribution drifted.").labels(
        model_version
    ).set(result.drift_share or 0.0)
    gauge("model_drift_detected", "1 if any feature drifted.").labels(model_version).set(
        int(result.verdict == "drift")
    )
    score = gauge(
        "model_feature_drift_score",
        "The feature's drift test score (p-value: lower is drift; distance: higher is).",
        ("feature", "method"),
    )
    drifted = gauge("model_feature_drifted", "1 if the feature drifted.", ("feature",))
    for column in result.features:
        score.labels(model_version, column.column, column.method).set(column.score)
        drifted.labels(model_version, column.column).set(int(column.drifted))
    prediction_score = gauge(
        "model_prediction_drift_score",
        "Drift test score of the predicted class (label) and of its confidence.",
        ("column", "method"),
    )
    prediction_drifted = gauge(
        "model_prediction_drifted", "1 if the prediction column drifted.", ("column",)
    )
    for column in result.predictions:
        prediction_score.labels(model_version, column.column, column.method).set(column.score)
        prediction_drifted.labels(model_version, column.column).set(int(column.drifted))
    return registry


def add_quality(gauge: Callable[..., Gauge], quality: QualityResult, model_version: str) -> None:
    """Accuracy where true labels came back; the verdict only with enough of them."""
    gauge("model_quality_labelled_rows", "Logged predictions with a true label.").labels(
        model_version
    ).set(quality.labelled_rows)
    gauge("model_quality_enough_labels", "1 if enough labels to judge accuracy.").labels(
        model_version
    ).set(int(quality.enough))
    gauge("model_quality_accuracy_floor", "Training's held-out accuracy minus the margin.").labels(
        model_version
    ).set(quality.floor)
    if not quality.enough or quality.accuracy is None:
        return
    gauge("model_quality_accuracy", "Accuracy on the labelled predictions.").labels(
        model_version
    ).set(quality.accuracy)
    gauge("model_quality_below_floor", "1 if accuracy fell below the floor.").labels(
        model_version
    ).set(int(quality.below_floor))
    recall = gauge("model_quality_recall", "Recall of each true class.", ("class_name",))
    for name, value in quality.recall.items():
        recall.labels(model_version, name).set(value)


def write_metrics(
    result: DriftResult, quality: QualityResult, model_version: str, path: Path
) -> None:
    write_to_textfile(str(path), registry_for(result, quality, model_version))


def push_metrics(
    result: DriftResult,
    quality: QualityResult,
    model_version: str,
    gateway: str,
    namespace: str,
) -> None:
    """Replace the job's previous push, so a feature that stopped drifting stops showing.

    `namespace` (the app's) joins the grouping key: the Pushgateway adds it to every
    series, Prometheus keeps it (honorLabels), and the alert rules select on it.
    """
    push_to_gateway(
        gateway,
        job=PUSH_JOB,
        registry=registry_for(result, quality, model_version),
        grouping_key={"namespace": namespace},
    )
