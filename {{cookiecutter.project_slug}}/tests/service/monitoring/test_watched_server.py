"""The real server logs and counts every prediction while under concurrent load, and
the drift job reads that log back: no drift for traffic drawn from the example data."""

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bentoml
import httpx
import pytest

from {{ cookiecutter.package_name }}.features import as_values
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.monitoring import drift_job

from harness.local_service import LocalService, running
from tests.server_settings import API_KEY, KEYS_SETTING, SERVICE

REQUESTS = 400


@pytest.fixture(scope="module")
def watched_server(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalService, Path]]:
    log_dir = tmp_path_factory.mktemp("predictions")
    with running(
        SERVICE,
        tmp_path_factory.mktemp("watched") / "server.log",
        settings={**KEYS_SETTING, "SERVICE_PREDICTION_LOG_DIR": str(log_dir)},
    ) as server:
        yield server, log_dir


def logged(log_dir: Path) -> list[str]:
    return [
        line
        for path in log_dir.glob("predictions-*.jsonl")
        for line in path.read_text().splitlines()
    ]


def test_every_prediction_under_concurrent_load_is_logged_without_the_api_key(
    watched_server: tuple[LocalService, Path], tmp_path: Path
) -> None:
    server, log_dir = watched_server
    # What `make loadtest` sends: the example dataset's rows (see loadtest_records.py).
    dataset = load_dataset()
    rows = [*dataset.features_train.tolist(), *dataset.features_test.tolist()]
    records = [as_values(row) for row in rows]
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:

        def send(index: int) -> int:
            body = {"records": records[index % len(records) :][:3]}
            response = client.post("/predict", json=body)
            assert response.status_code == 200, response.text
            return len(body["records"])

        with ThreadPoolExecutor(max_workers=16) as pool:
            sent = sum(pool.map(send, range(REQUESTS)))
        deadline = time.monotonic() + 10
        while len(logged(log_dir)) < sent and time.monotonic() < deadline:
            time.sleep(0.2)  # the writer flushes every second
        metrics = client.get("/metrics").text

    lines = logged(log_dir)
    assert len(lines) == sent
    assert API_KEY not in "".join(lines)
    assert {json.loads(line)["request_id"] for line in lines}.isdisjoint({None})
    predicted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("model_predictions_total{")
    )
    assert predicted == sent
    assert "prediction_log_dropped_total 0.0" in metrics

    assert drift_job.main(["--log-dir", str(log_dir), "--output", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "no drift", summary
    assert summary["rows_compared"] == sent
    assert (tmp_path / "report.html").stat().st_size > 0
    assert "model_drift_share{" in (tmp_path / "metrics.prom").read_text()
