"""Clients of the prediction API, and the SLO gate that judges the run.

Run with a shape from shapes/, e.g. (what `make loadtest` does):

    locust -f loadtests/locustfile.py,loadtests/shapes/smoke.py --headless \
        --host http://127.0.0.1:3000 --report-dir build/loadtest

The API key comes from API_KEY. When the run ends, the verdict is printed as a
table and written as verdict.md and verdict.json; the exit code is 1 if any SLO is missed.
"""

import json
import logging
import os
import random
from pathlib import Path

from locust import HttpUser, between, events, task
from locust.env import Environment
from locust.runners import WorkerRunner

import service_level
from request_mix import RequestSchema

logger = logging.getLogger(__name__)
_schema: RequestSchema | None = None


@events.init_command_line_parser.add_listener
def add_arguments(parser) -> None:
    parser.add_argument(
        "--report-dir",
        env_var="LOCUST_REPORT_DIR",
        default="build/loadtest",
        help="where the verdict is written",
    )
    parser.add_argument(
        "--slo-file",
        env_var="LOCUST_SLO_FILE",
        default=str(service_level.SLO_FILE),
        help="the SLOs to judge against",
    )
    parser.add_argument(
        "--records-file",
        env_var="LOCUST_RECORDS_FILE",
        default="",
        help="JSON lines of records to send instead of drawing them around the examples",
    )


class ModelClient(HttpUser):
    """Mostly single records, some batches, and 10% requests that must be refused."""

    wait_time = between(0.01, 0.1)

    def on_start(self) -> None:
        global _schema
        api_key = os.environ.get("API_KEY", "")
        if not api_key:
            raise RuntimeError("set API_KEY to a key the service accepts")
        self.client.headers["Authorization"] = f"Bearer {api_key}"
        if _schema is None:
            # The service describes its own inputs; read it once per process.
            _schema = RequestSchema.from_openapi(
                self.client.get("/docs.json", name="/docs.json").json()
            )
            if records_file := self.environment.parsed_options.records_file:
                _schema = _schema.with_samples(Path(records_file).read_text().splitlines())
        self.schema = _schema
        self.rng = random.Random()

    @task(6)
    def predict_one(self) -> None:
        self.predict({"records": [self.schema.record(self.rng)]}, "/predict [1 record]")

    @task(3)
    def predict_batch(self) -> None:
        self.predict(self.schema.batch(self.rng), "/predict [batch]")

    @task(1)
    def send_invalid_request(self) -> None:
        reason, body, content_type = self.schema.invalid_request(self.rng)
        with self.client.post(
            "/predict",
            data=body,
            headers={"Content-Type": content_type},
            name="/predict [invalid]",
            catch_response=True,
        ) as response:
            if 400 <= response.status_code < 500:
                response.success()
            else:
                response.failure(f"{reason}: expected a 4xx, got {response.status_code}")

    def predict(self, body: dict, name: str) -> None:
        with self.client.post("/predict", json=body, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif len(response.json().get("predictions", [])) != len(body["records"]):
                response.failure("one prediction per record expected")


@events.quitting.add_listener
def judge_run(environment: Environment, **_) -> None:
    """Print and write the verdict; a missed SLO makes the process exit 1."""
    if isinstance(environment.runner, WorkerRunner):
        return  # the master judges the aggregated numbers
    total = environment.stats.total
    measured = service_level.Measurement(
        requests=total.num_requests,
        failures=total.num_failures,
        p95_latency_ms=total.get_response_time_percentile(0.95) or 0.0,
        p99_latency_ms=total.get_response_time_percentile(0.99) or 0.0,
        requests_per_second=total.total_rps,
    )
    objectives = service_level.load_objectives(Path(environment.parsed_options.slo_file))
    checks = service_level.evaluate(objectives, measured)
    report_dir = Path(environment.parsed_options.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "verdict.md").write_text(service_level.as_markdown(checks))
    (report_dir / "verdict.json").write_text(
        json.dumps(service_level.as_json(checks, measured), indent=2)
    )
    verdict = "PASSED" if service_level.passed(checks) else "FAILED"
    print(f"\nSLO verdict: {verdict}\n{service_level.as_table(checks)}\n", flush=True)
    # The SLOs decide, not Locust's default of failing on any single error.
    environment.process_exit_code = 0 if service_level.passed(checks) else 1
