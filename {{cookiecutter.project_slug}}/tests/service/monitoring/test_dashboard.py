"""Every query of the Grafana dashboard the Pulumi program provisions refers to a metric
that really exists: scraped from the real server, written by a real drift job run, or
one of the kube-state-metrics series the dashboard declares."""

import json
import re
from pathlib import Path

import httpx
import pytest

from {{ cookiecutter.package_name }}.features import FEATURE_NAMES
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.monitoring.drift import Traffic, compare
from {{ cookiecutter.package_name }}.monitoring.drift_metrics import write_metrics
from {{ cookiecutter.package_name }}.monitoring.quality import QualityResult

import cloud.dashboard
from tests.infra.conftest import planned_alone
from tests.records import EXAMPLE

# A metric name followed by a selector, as every query writes it.
METRIC_IN_QUERY = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")
EXPOSED_NAME = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", re.MULTILINE)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> dict:
    plan = planned_alone("dev-cluster", tmp_path_factory.mktemp("plan"))
    [config_map] = [
        config_map
        for config_map in plan.kubernetes("ConfigMap")
        if config_map["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    [document] = config_map["data"].values()
    return json.loads(document)


def served_metrics(client: httpx.Client) -> set[str]:
    assert client.post("/predict", json={"records": [EXAMPLE]}).status_code == 200
    # The model's metrics are counted on the prediction log's thread, within a second.
    for _ in range(50):
        text = client.get("/metrics").text
        if "model_predictions_total{" in text:
            break
    return set(EXPOSED_NAME.findall(text))


def drift_job_metrics(directory: Path) -> set[str]:
    dataset = load_dataset()
    frame, reference = (
        Traffic.of(rows, ["class-a"] * len(rows), [0.9] * len(rows), FEATURE_NAMES)
        for rows in (dataset.features_test, dataset.features_train)
    )
    # Enough labels, so every quality metric is written too.
    quality = QualityResult(200, 0, 100, 0.9, accuracy=0.95, recall={"class-a": 0.95})
    write_metrics(
        compare(reference, frame, FEATURE_NAMES), quality, "model:test", directory / "m.prom"
    )
    return set(EXPOSED_NAME.findall((directory / "m.prom").read_text()))


def test_every_dashboard_query_uses_a_metric_that_is_really_exported(
    dashboard: dict, client: httpx.Client, tmp_path: Path
) -> None:
    exported = (
        served_metrics(client)
        | drift_job_metrics(tmp_path)
        | set(cloud.dashboard.KUBE_STATE_METRICS)
    )
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for query in queries for name in METRIC_IN_QUERY.findall(query)}

    assert len(dashboard["panels"]) >= 10
    assert all(METRIC_IN_QUERY.search(query) for query in queries), "a query without a metric"
    assert used - exported == set(), f"not exported by anything: {sorted(used - exported)}"


def test_dashboard_shows_traffic_latency_versions_scaling_and_drift(dashboard: dict) -> None:
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in METRIC_IN_QUERY.findall(target["expr"])
    }
    for needed in (
        "bentoml_service_request_total",
        "bentoml_service_request_duration_seconds_bucket",
        "bentoml_service_request_in_progress",
        "kube_horizontalpodautoscaler_spec_max_replicas",
        "model_info",
        "model_predictions_total",
        "model_prediction_confidence_bucket",
        "model_feature_drift_score",
        "model_drift_share",
        "model_drift_rows_compared",
    ):
        assert needed in used, needed
