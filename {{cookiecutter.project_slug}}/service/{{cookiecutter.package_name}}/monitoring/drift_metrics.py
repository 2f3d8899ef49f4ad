"""The drift job's results as Prometheus metrics: written as a text file locally, pushed
to the Pushgateway in the cluster (a CronJob lives too briefly to be scraped)."""

from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from .drift import DriftResult

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
}


def registry_for(result: DriftResult, model_version: str) -> CollectorRegistry:
    registry = CollectorRegistry()

    def gauge(name: str, description: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, description, ["model_version", *labels], registry=registry)

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


def write_metrics(result: DriftResult, model_version: str, path: Path) -> None:
    write_to_textfile(str(path), registry_for(result, model_version))


def push_metrics(result: DriftResult, model_version: str, gateway: str, namespace: str) -> None:
    """Replace the job's previous push, so a feature that stopped drifting stops showing.

    `namespace` (the app's) joins the grouping key: the Pushgateway adds it to every
    series, Prometheus keeps it (honorLabels), and the alert rules select on it.
    """
    push_to_gateway(
        gateway,
        job=PUSH_JOB,
        registry=registry_for(result, model_version),
        grouping_key={"namespace": namespace},
    )
