"""True labels back into monitoring, end to end: the real server predicts the held-out
set, the true labels go to POST /feedback, and the drift job measures accuracy on them.
The true labels give training's accuracy and no alert; the same labels with two classes
swapped give the alert."""

import json
from collections.abc import Iterator
from pathlib import Path

import bentoml
import httpx
import pytest

from {{ cookiecutter.package_name }}.features import as_values
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.monitoring import drift_job

from harness.local_service import LocalService, running
from tests.infra.conftest import Plan, planned_alone
from tests.infra.test_alert_rules import case, declared_groups, gauge, run_promtool
from tests.server_settings import API_KEY, KEYS_SETTING, SERVICE
from tests.service.monitoring.test_drift_job import app_namespace, pushed_values

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
Key = tuple[str, int]


@pytest.fixture(scope="module")
def served(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalService, Path]]:
    log_dir = tmp_path_factory.mktemp("ground-truth")
    settings = {**KEYS_SETTING, "SERVICE_PREDICTION_LOG_DIR": str(log_dir / "pod-a")}
    with running(SERVICE, log_dir / "server.log", settings=settings) as server:
        yield server, log_dir


@pytest.fixture(scope="module")
def predicted(served: tuple[LocalService, Path]) -> dict[Key, str]:
    """The held-out set, ten records a request: (request id, record) -> predicted class."""
    server, _ = served
    rows = load_dataset().features_test.tolist()
    answers = {}
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=10) as client:
        for start in range(0, len(rows), 10):
            records = [as_values(row) for row in rows[start : start + 10]]
            response = client.post("/predict", json={"records": records})
            assert response.status_code == 200, response.text
            request_id = response.headers["x-request-id"]
            for record, prediction in enumerate(response.json()["predictions"]):
                answers[(request_id, record)] = prediction["label"]
    return answers


def true_classes() -> list[str]:
    dataset = load_dataset()
    return [dataset.class_names[label] for label in dataset.labels_test]


def send(server: LocalService, keys: list[Key], labels: list[str]) -> httpx.Response:
    body = {
        "labels": [
            {"request_id": request_id, "record": record, "label": label}
            for (request_id, record), label in zip(keys, labels, strict=True)
        ]
    }
    return httpx.post(f"{server.url}/feedback", json=body, headers=HEADERS, timeout=10)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return planned_alone("dev-cluster", tmp_path_factory.mktemp("plan"))


def judged(log_dir: Path, output: Path, plan: Plan) -> tuple[dict, list[dict[str, str]]]:
    """The drift job's quality summary, and its metrics as the cluster would hold them."""
    arguments = ["--log-dir", str(log_dir), "--output", str(output), "--min-labelled-rows", "10"]
    assert drift_job.main(arguments) == 0
    summary = json.loads((output / "summary.json").read_text())
    namespace = app_namespace(plan)
    series = [
        gauge(name, f"{value:.17g}", **labels, namespace=namespace)
        for name, labels, value in pushed_values((output / "metrics.prom").read_text())
    ]
    return summary["quality"], series


def test_the_true_labels_give_trainings_accuracy_and_no_alert(
    served: tuple[LocalService, Path],
    predicted: dict[Key, str],
    stored_model: bentoml.Model,
    plan: Plan,
    tmp_path: Path,
) -> None:
    server, log_dir = served
    keys, truth = list(predicted), true_classes()
    assert send(server, keys, truth).json() == {"recorded": len(keys)}

    quality, series = judged(log_dir, tmp_path, plan)

    right = sum(predicted[key] == label for key, label in zip(keys, truth, strict=True))
    assert quality["labelled_rows"] == len(keys)
    assert quality["accuracy"] == pytest.approx(right / len(keys))
    # The same held-out rows training evaluated the model on (stored to four places).
    recorded = stored_model.info.metadata["metrics"]["accuracy"]
    assert quality["accuracy"] == pytest.approx(recorded, abs=1e-4)
    assert quality["below_floor"] is False
    groups = declared_groups(plan)
    assert "SUCCESS" in run_promtool(tmp_path, groups, [case(groups, series, {})])


def test_labels_with_two_classes_swapped_fire_the_alert(
    served: tuple[LocalService, Path], predicted: dict[Key, str], plan: Plan, tmp_path: Path
) -> None:
    server, log_dir = served
    first, second = load_dataset().class_names[:2]
    swap = {first: second, second: first}
    swapped = [swap.get(label, label) for label in true_classes()]
    # Sent for the same predictions: a later label replaces an earlier one.
    assert send(server, list(predicted), swapped).status_code == 200

    quality, series = judged(log_dir, tmp_path, plan)

    assert quality["below_floor"] is True
    assert quality["recall"][first] < 0.5
    groups = declared_groups(plan)
    firing = {"ModelAccuracyBelowTraining": [{}]}
    assert "SUCCESS" in run_promtool(tmp_path, groups, [case(groups, series, firing)])


def test_a_label_that_is_not_a_class_is_refused_naming_it_and_the_classes(
    served: tuple[LocalService, Path], predicted: dict[Key, str]
) -> None:
    server, _ = served
    key = next(iter(predicted))
    response = send(server, [key, key], [predicted[key], "no-such-class"])

    assert response.status_code == 400
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["labels", 1, "label"]
    assert all(repr(name) in problem["msg"] for name in load_dataset().class_names)


def test_labels_need_a_key(served: tuple[LocalService, Path], predicted: dict[Key, str]) -> None:
    server, _ = served
    key = next(iter(predicted))
    body = {"labels": [{"request_id": key[0], "record": key[1], "label": predicted[key]}]}
    assert httpx.post(f"{server.url}/feedback", json=body, timeout=10).status_code == 401


def test_without_a_prediction_log_labels_are_refused_with_the_reason(
    stored_model: bentoml.Model, tmp_path: Path
) -> None:
    label = load_dataset().class_names[0]
    with running(SERVICE, tmp_path / "server.log", settings=KEYS_SETTING) as server:
        response = send(server, [("any-request", 0)], [label])
    # BentoML answers every 5xx with the same words; the reason is in the server's log.
    assert response.status_code == 503
    assert "SERVICE_PREDICTION_LOG_DIR" in (tmp_path / "server.log").read_text()
