"""The real server over HTTP: predictions, every kind of bad request, auth, probes, logs."""

import json

import bentoml
import httpx
import pytest

from {{ cookiecutter.package_name }}.features import (
    CATEGORICAL_FEATURES,
    FEATURE_NAMES,
    FEATURES,
)
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.model_store import (
    class_names,
    onnx_path,
)
from {{ cookiecutter.package_name }}.onnx_model import OnnxClassifier

from harness.local_service import LocalService
from tests.records import EXAMPLE as VALID
from tests.records import (
    FIRST,
    LAST,
    declared,
    held_out_records,
    out_of_bounds,
    with_value,
    within_the_limits,
)
from tests.server_settings import API_KEY, MAX_BATCH_SIZE, MAX_BODY_BYTES, OTHER_CLIENT_API_KEY

# Past one of the bounds LAST declares (null, also refused, when it declares none).
OUT_OF_BOUNDS = next(iter(out_of_bounds(LAST).values()), None)


def test_predictions_match_the_stored_model_in_request_order(
    client: httpx.Client, stored_model: bentoml.Model
) -> None:
    predictions = []
    for batch in within_the_limits(held_out_records()):
        response = client.post("/predict", json={"records": batch})
        assert response.status_code == 200, response.text
        assert response.json()["model_version"] == str(stored_model.tag)
        predictions += response.json()["predictions"]

    offline = OnnxClassifier(onnx_path(stored_model), class_names(stored_model))
    expected_labels, expected_probabilities = offline.predict(load_dataset().features_test)
    assert [prediction["label"] for prediction in predictions] == expected_labels
    for prediction, expected in zip(predictions, expected_probabilities, strict=True):
        assert list(prediction["probabilities"]) == list(class_names(stored_model))
        assert list(prediction["probabilities"].values()) == pytest.approx(
            expected.tolist(), abs=1e-6
        )
        assert sum(prediction["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": [{**VALID, LAST: str(VALID[LAST])}]}, ["records", 0, LAST]),
        ({"records": [{**VALID, LAST: OUT_OF_BOUNDS}]}, ["records", 0, LAST]),
        ({"records": [VALID, {**VALID, "colour": 1}]}, ["records", 1, "colour"]),
        (
            {"records": [{k: v for k, v in VALID.items() if k != FIRST}]},
            ["records", 0, FIRST],
        ),
        ({"records": []}, ["records"]),
        ({"records": [VALID] * (MAX_BATCH_SIZE + 1)}, ["records"]),
        ({"rows": [VALID]}, ["records"]),
    ],
    ids=[
        "string",
        "out-of-bounds",
        "extra-field",
        "missing-field",
        "empty",
        "oversized-batch",
        "wrong-key",
    ],
)
def test_invalid_body_is_400_naming_the_field(
    client: httpx.Client, body: object, field: list
) -> None:
    response = client.post("/predict", json=body)
    assert response.status_code == 400
    assert field in [problem["loc"] for problem in response.json()["detail"]]


@pytest.mark.skipif(not CATEGORICAL_FEATURES, reason="the model has no categorical feature")
def test_an_unknown_category_is_400_naming_the_field_and_the_values_it_may_take(
    client: httpx.Client,
) -> None:
    [feature] = [feature for feature in FEATURES if feature.name == CATEGORICAL_FEATURES[0]]
    body = {"records": [VALID, {**VALID, feature.name: "none of these"}]}

    response = client.post("/predict", json=body)

    assert response.status_code == 400
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["records", 1, feature.name]
    assert all(repr(value) in problem["msg"] for value in feature.categories)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_number_is_400_naming_the_field(client: httpx.Client, literal: str) -> None:
    text = with_value(FIRST, literal)
    response = client.post("/predict", content=text, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["records", 0, FIRST]


def test_a_number_float32_would_turn_into_zero_is_400_naming_the_field(
    client: httpx.Client,
) -> None:
    """1e-320 is above zero, but the model reads 32-bit floats: it would see 0.0."""
    if not declared(FIRST).get("minimum", 0) > 0:
        pytest.skip(f"{FIRST} may be zero")
    text = with_value(FIRST, "1e-320")
    response = client.post("/predict", content=text, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["records", 0, FIRST]
    assert problem["type"] == "greater_than_equal"


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/predict", content=b'{"records": [', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Invalid JSON" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b'"text"',
        b'{"records": null}',
        b'{"records": [null]}',
        json.dumps({"records": [list(VALID.values())]}).encode(),
        with_value(FIRST, "1e400").encode(),
        b"[" * 5_000 + b"]" * 5_000,
        b"\xff\xfe{}",
    ],
    ids=[
        "empty",
        "null",
        "array",
        "string",
        "null-records",
        "null-record",
        "positional",
        "overflow",
        "deep",
        "not-utf8",
    ],
)
def test_odd_body_is_400_never_a_server_error(client: httpx.Client, body: bytes) -> None:
    response = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text


def test_wrong_content_type_is_415(client: httpx.Client) -> None:
    response = client.post(
        "/predict", content=json.dumps({"records": [VALID]}), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415


def test_oversized_body_is_413(client: httpx.Client) -> None:
    response = client.post(
        "/predict",
        content=b" " * (MAX_BODY_BYTES + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer not-the-key"}], ids=["no-key", "wrong-key"]
)
def test_prediction_without_a_valid_key_is_401(
    server: LocalService, headers: dict[str, str]
) -> None:
    response = httpx.post(f"{server.url}/predict", json={"records": [VALID]}, headers=headers)
    assert response.status_code == 401


def test_every_client_in_the_keys_file_is_accepted(server: LocalService) -> None:
    response = httpx.post(
        f"{server.url}/predict",
        json={"records": [VALID]},
        headers={"Authorization": f"Bearer {OTHER_CLIENT_API_KEY}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/metrics", "/docs.json", "/"])
def test_probes_metrics_and_docs_answer_without_a_key(server: LocalService, path: str) -> None:
    assert httpx.get(f"{server.url}{path}").status_code == 200


def test_metrics_count_predictions(client: httpx.Client, server: LocalService) -> None:
    client.post("/predict", json={"records": [VALID]})
    metrics = httpx.get(f"{server.url}/metrics").text
    assert "bentoml_service_request_total{" in metrics
    assert 'endpoint="/predict"' in metrics


def test_openapi_documents_the_predict_api(server: LocalService) -> None:
    document = httpx.get(f"{server.url}/docs.json").json()
    request_schema = document["paths"]["/predict"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert request_schema["properties"]["records"]["maxItems"] == MAX_BATCH_SIZE
    assert set(document["components"]["schemas"]["Record"]["required"]) == set(FEATURE_NAMES)


def test_request_id_is_kept_when_sane_and_replaced_when_not(client: httpx.Client) -> None:
    kept = client.post("/predict", json={"records": [VALID]}, headers={"X-Request-ID": "trace-42"})
    replaced = client.post(
        "/predict", json={"records": [VALID]}, headers={"X-Request-ID": 'bad id"}'}
    )
    assert kept.headers["x-request-id"] == "trace-42"
    assert replaced.headers["x-request-id"] not in {"", 'bad id"}'}


def test_logs_are_json_with_request_ids_and_never_the_key(
    client: httpx.Client, server: LocalService
) -> None:
    client.post("/predict", json={"records": [VALID]}, headers={"X-Request-ID": "log-check-1"})
    httpx.post(
        f"{server.url}/predict",
        json={"records": [VALID]},
        headers={"Authorization": f"Bearer {API_KEY}x"},
    )

    log = server.log()
    assert API_KEY not in log
    assert OTHER_CLIENT_API_KEY not in log
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [entry for entry in entries if entry["message"] == "request served"]
    assert {
        "method": "POST",
        "path": "/predict",
        "status": 200,
        "request_id": "log-check-1",
        "client": "tests",
    }.items() <= next(entry for entry in access if entry.get("request_id") == "log-check-1").items()
    assert any(entry["status"] == 401 for entry in access)
